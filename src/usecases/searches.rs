//! Searches: Exa search and answer run concurrently and stored, and
//! search-to-chat.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use serde_json::json;
use sybil_domain::chat::normalize_title;
use sybil_domain::nul::{replace_nul, replace_nul_in_value};
use sybil_domain::search::{Search, SearchRun, check_run, search_chat_title, search_context};
use sybil_domain::{Chat, Message, Role};
use sybil_ports::inbound::{RunSearch, SearchError, SearchUseCases};
use sybil_ports::outbound::{
    ChatRepository, Clock, ExaApi, ExaSearchRequest, IdGenerator, SearchRepository,
};
use uuid::Uuid;

/// Implements `SearchUseCases`.
pub struct SearchService {
    pub searches: Arc<dyn SearchRepository>,
    pub chats: Arc<dyn ChatRepository>,
    /// `None` without `EXA_API_KEY`.
    pub exa: Option<Arc<dyn ExaApi>>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
}

impl SearchService {
    async fn load(&self, id: &str) -> Result<(Search, SearchRun), SearchError> {
        let id = Uuid::parse_str(id).map_err(|_| SearchError::NotFound)?;
        self.searches
            .load_search(id)
            .await?
            .ok_or(SearchError::NotFound)
    }
}

#[async_trait]
impl SearchUseCases for SearchService {
    async fn list_searches(&self) -> Result<Vec<Search>, SearchError> {
        Ok(self.searches.list_searches().await?)
    }

    async fn create_search(
        &self,
        title: Option<String>,
        query: Option<String>,
    ) -> Result<Search, SearchError> {
        let now = self.clock.now();
        let search = Search {
            id: self.ids.new_id(),
            title: normalize_title(title),
            query: normalize_title(query),
            created_at: now,
            updated_at: now,
        };
        self.searches.create_search(&search).await?;
        Ok(search)
    }

    async fn get_search(&self, id: &str) -> Result<(Search, SearchRun), SearchError> {
        self.load(id).await
    }

    async fn delete_search(&self, id: &str) -> Result<(), SearchError> {
        let id = Uuid::parse_str(id).map_err(|_| SearchError::NotFound)?;
        match self.searches.delete_search(id).await? {
            true => Ok(()),
            false => Err(SearchError::NotFound),
        }
    }

    #[tracing::instrument(skip(self, options))]
    async fn run_search(
        &self,
        id: &str,
        options: RunSearch,
    ) -> Result<(Search, SearchRun), SearchError> {
        let (search, _) = self.load(id).await?;
        let num_results = check_run(
            options.num_results,
            &options.include_domains,
            &options.exclude_domains,
        )
        .map_err(|e| SearchError::Invalid(e.to_string()))?;
        let query = normalize_title(options.query).or(search.query.clone());
        let title = normalize_title(options.title).or(search.title.clone());
        let Some(query) = query else {
            return Err(SearchError::Invalid(
                sybil_domain::search::SearchRuleError::NoQuery.to_string(),
            ));
        };
        let exa = self.exa.as_ref().ok_or(SearchError::Unconfigured)?;
        let request = ExaSearchRequest {
            query: query.clone(),
            search_type: options.search_type,
            num_results,
            include_domains: options.include_domains,
            exclude_domains: options.exclude_domains,
        };
        let started = Instant::now();
        // Both at once: the answer does not depend on the results.
        let (found, answered) = tokio::join!(exa.search(&request), exa.answer(&query));
        let mut run = SearchRun {
            latency_ms: Some(started.elapsed().as_millis() as i64),
            ..SearchRun::default()
        };
        // Exa's text enters the core here: each U+0000 becomes U+FFFD.
        match found {
            Ok(found) => {
                run.request_id = found.request_id;
                run.results = found.results;
                run.results.iter_mut().for_each(replace_nul_in_value);
            }
            Err(e) => run.error = Some(replace_nul(e.message)),
        }
        match answered {
            Ok(answer) => {
                run.answer_text = Some(replace_nul(answer.answer));
                run.answer_request_id = answer.request_id;
                run.answer_citations = answer.citations;
                run.answer_citations
                    .iter_mut()
                    .for_each(replace_nul_in_value);
            }
            Err(e) => run.answer_error = Some(replace_nul(e.message)),
        }
        let now = self.clock.now();
        if !self
            .searches
            .save_run(search.id, title.clone(), Some(query.clone()), &run, now)
            .await?
        {
            return Err(SearchError::NotFound);
        }
        if let (Some(search_error), Some(answer_error)) = (&run.error, &run.answer_error) {
            return Err(SearchError::Upstream {
                search: search_error.clone(),
                answer: answer_error.clone(),
            });
        }
        let search = Search {
            title,
            query: Some(query),
            updated_at: now,
            ..search
        };
        Ok((search, run))
    }

    async fn search_to_chat(&self, id: &str, title: Option<String>) -> Result<Chat, SearchError> {
        let (search, run) = self.load(id).await?;
        let now = self.clock.now();
        let title = normalize_title(title).unwrap_or_else(|| search_chat_title(&search));
        let chat = Chat::new(self.ids.new_id(), Some(title), None, now);
        let context = Message {
            id: self.ids.new_id(),
            created_at: now,
            role: Role::System,
            content: search_context(&search, &run),
            name: None,
            metadata: Some(
                json!({ "kind": "search_context", "hidden": true, "searchId": search.id.to_string() }),
            ),
        };
        self.chats.create_chat(&chat, &[context]).await?;
        Ok(chat)
    }
}
