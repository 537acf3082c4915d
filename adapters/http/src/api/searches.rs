//! The search routes.

use std::sync::Arc;

use poem_openapi::param::Path;
use poem_openapi::{ApiResponse, OpenApi, payload::Json};
use sybil_ports::inbound::{RunSearch, SearchUseCases};

use super::ApiTags;
use crate::body::JsonBody;
use crate::dto::responses::{ChatEnvelope, ChatSummary, DeletedBody};
use crate::dto::searches::{
    CreateSearchRequest, RunSearchRequest, SearchDetailEnvelope, SearchEnvelope, SearchList,
    SearchSummary, SearchToChatRequest,
};
use crate::error::ApiError;
use crate::ratelimit::Limited;

pub struct SearchesApi {
    searches: Arc<dyn SearchUseCases>,
}

impl SearchesApi {
    pub fn new(searches: Arc<dyn SearchUseCases>) -> Self {
        SearchesApi { searches }
    }
}

#[derive(ApiResponse)]
enum SearchCreated {
    /// The search was created.
    #[oai(status = 201)]
    Created(Json<SearchEnvelope>),
}

#[derive(ApiResponse)]
enum ChatCreated {
    /// The chat was created.
    #[oai(status = 201)]
    Created(Json<ChatEnvelope>),
}

type ApiResult<T> = Result<T, ApiError>;

#[OpenApi(tag = "ApiTags::Searches")]
impl SearchesApi {
    /// List searches
    ///
    /// Most recently updated first.
    #[oai(path = "/v1/searches", method = "get")]
    async fn list(&self) -> ApiResult<Json<SearchList>> {
        let searches = self.searches.list_searches().await?;
        Ok(Json(SearchList {
            searches: searches.iter().map(SearchSummary::from).collect(),
        }))
    }

    /// Create a search
    #[oai(path = "/v1/searches", method = "post")]
    async fn create(&self, body: JsonBody<CreateSearchRequest>) -> ApiResult<SearchCreated> {
        let search = self
            .searches
            .create_search(body.0.title, body.0.query)
            .await?;
        Ok(SearchCreated::Created(Json(SearchEnvelope {
            search: SearchSummary::from(&search),
        })))
    }

    /// Get a search
    ///
    /// With the outcome of its last run.
    #[oai(path = "/v1/searches/:searchId", method = "get")]
    async fn get(
        &self,
        #[oai(name = "searchId")] id: Path<String>,
    ) -> ApiResult<Json<SearchDetailEnvelope>> {
        let found = self.searches.get_search(&id.0).await?;
        Ok(Json(SearchDetailEnvelope {
            search: found.into(),
        }))
    }

    /// Delete a search
    ///
    /// With everything stored for it.
    #[oai(path = "/v1/searches/:searchId", method = "delete")]
    async fn delete(
        &self,
        #[oai(name = "searchId")] id: Path<String>,
    ) -> ApiResult<Json<DeletedBody>> {
        self.searches.delete_search(&id.0).await?;
        Ok(Json(DeletedBody { deleted: true }))
    }

    /// Run a search
    ///
    /// Exa search and Exa answer, concurrently. One failing sets its error
    /// field and still answers 200; both failing answers 502.
    #[oai(path = "/v1/searches/:searchId/run", method = "post")]
    async fn run(
        &self,
        #[oai(name = "searchId")] id: Path<String>,
        body: JsonBody<RunSearchRequest>,
    ) -> Result<Json<SearchDetailEnvelope>, Limited<ApiError>> {
        let b = body.0;
        let ran = self
            .searches
            .run_search(
                &id.0,
                RunSearch {
                    query: b.query,
                    title: b.title,
                    search_type: b.search_type.map(|t| t.as_str().to_string()),
                    num_results: b.num_results,
                    include_domains: b.include_domains.unwrap_or_default(),
                    exclude_domains: b.exclude_domains.unwrap_or_default(),
                },
            )
            .await
            .map_err(ApiError::from)?;
        Ok(Json(SearchDetailEnvelope { search: ran.into() }))
    }

    /// Start a chat from a search
    ///
    /// A new chat whose first message is a hidden system message holding the
    /// query, answer, citations and top results.
    #[oai(path = "/v1/searches/:searchId/chat", method = "post")]
    async fn chat(
        &self,
        #[oai(name = "searchId")] id: Path<String>,
        body: JsonBody<SearchToChatRequest>,
    ) -> ApiResult<ChatCreated> {
        let chat = self.searches.search_to_chat(&id.0, body.0.title).await?;
        Ok(ChatCreated::Created(Json(ChatEnvelope {
            chat: ChatSummary::from(&chat),
        })))
    }
}
