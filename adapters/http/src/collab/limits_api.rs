//! `/api/admin/limits` (§4.12): rate-limit profiles and their assignments
//! to routes, changed while the service runs.

use std::sync::Arc;

use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sybil_domain::rate_limit::ProfilePatch;
use sybil_ports::inbound::{AssignmentInput, ProfileInput, RateLimitUseCases};

use super::CollabTags;
use super::limits_dto::{
    AssignmentView, CreateAssignmentRequest, CreateProfileRequest, ProfileView,
    UpdateProfileRequest, params_in,
};
use super::params::{NoContent, body_id, path_id};
use super::problem::Problem;
use super::request_body::ApiJson;

pub struct LimitsApi {
    pub limits: Arc<dyn RateLimitUseCases>,
}

#[derive(ApiResponse)]
enum ProfileCreated {
    #[oai(status = 201)]
    Profile(Json<ProfileView>),
}

#[derive(ApiResponse)]
enum AssignmentPut {
    /// A new assignment.
    #[oai(status = 201)]
    Created(Json<AssignmentView>),
    /// The assignment of that method and pattern, now pointing at the profile.
    #[oai(status = 200)]
    Repointed(Json<AssignmentView>),
}

#[OpenApi(tag = "CollabTags::AdminLimits")]
impl LimitsApi {
    /// List rate-limit profiles
    ///
    /// By name.
    #[oai(path = "/api/admin/limits/profiles", method = "get")]
    async fn list_profiles(&self) -> Result<Json<Vec<ProfileView>>, Problem> {
        let profiles = self.limits.list_profiles().await?;
        Ok(Json(profiles.iter().map(ProfileView::from).collect()))
    }

    /// Create a rate-limit profile
    #[oai(path = "/api/admin/limits/profiles", method = "post")]
    async fn create_profile(
        &self,
        body: ApiJson<CreateProfileRequest>,
    ) -> Result<ProfileCreated, Problem> {
        let CreateProfileRequest {
            name,
            algorithm,
            params,
            description,
        } = body.0;
        let input = ProfileInput {
            name,
            algorithm,
            params: params_in(params),
            description,
        };
        let profile = self.limits.create_profile(input).await?;
        Ok(ProfileCreated::Profile(Json((&profile).into())))
    }

    /// Change a rate-limit profile
    ///
    /// `params` is merged key by key; `"description": ""` clears it; omitted
    /// fields keep their values. Buckets keep their state.
    #[oai(path = "/api/admin/limits/profiles/:id", method = "put")]
    async fn update_profile(
        &self,
        id: Path<String>,
        body: ApiJson<UpdateProfileRequest>,
    ) -> Result<Json<ProfileView>, Problem> {
        let id = path_id("id", &id)?;
        let UpdateProfileRequest {
            params,
            description,
        } = body.0;
        let patch = ProfilePatch {
            params: params_in(params),
            description,
        };
        let profile = self.limits.update_profile(id, patch).await?;
        Ok(Json((&profile).into()))
    }

    /// Delete a rate-limit profile
    ///
    /// 409 while it is assigned to routes.
    #[oai(path = "/api/admin/limits/profiles/:id", method = "delete")]
    async fn delete_profile(&self, id: Path<String>) -> Result<NoContent, Problem> {
        self.limits.delete_profile(path_id("id", &id)?).await?;
        Ok(NoContent::Done)
    }

    /// List route assignments
    ///
    /// By method, then path pattern.
    #[oai(path = "/api/admin/limits/assignments", method = "get")]
    async fn list_assignments(&self) -> Result<Json<Vec<AssignmentView>>, Problem> {
        let assignments = self.limits.list_assignments().await?;
        Ok(Json(assignments.iter().map(AssignmentView::from).collect()))
    }

    /// Assign a profile to a route
    ///
    /// An assignment of the same method and pattern is re-pointed (200).
    #[oai(path = "/api/admin/limits/assignments", method = "post")]
    async fn assign(
        &self,
        body: ApiJson<CreateAssignmentRequest>,
    ) -> Result<AssignmentPut, Problem> {
        let CreateAssignmentRequest {
            profile_id,
            method,
            path,
        } = body.0;
        let input = AssignmentInput {
            profile_id: body_id("profile_id", &profile_id)?,
            method,
            path,
        };
        let (assignment, created) = self.limits.assign(input).await?;
        let view = Json((&assignment).into());
        Ok(if created {
            AssignmentPut::Created(view)
        } else {
            AssignmentPut::Repointed(view)
        })
    }

    /// Remove a route assignment
    #[oai(path = "/api/admin/limits/assignments/:id", method = "delete")]
    async fn unassign(&self, id: Path<String>) -> Result<NoContent, Problem> {
        self.limits.unassign(path_id("id", &id)?).await?;
        Ok(NoContent::Done)
    }
}
