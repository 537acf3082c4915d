//! The composition root: the only place that names concrete adapters.

mod malloc;
mod metered;
mod readiness;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sybil_domain::account::SessionWindows;
use sybil_http::{AuthConfig, CollabConfig, CookiePolicy, Services};
pub use sybil_storage::QueuedCallLog;
use sybil_storage::{BoundedStorage, SeaOrmStorage};
use sybil_system::{Argon2Passwords, MemoryBuckets, OsTokens, SystemClock, UuidV7Ids};

use sybil_domain::Provider;
use sybil_llm::{AnthropicProvider, OpenAiProvider, ProviderSettings, XaiProvider};
use sybil_ports::outbound::{Clock, IdGenerator, IdentityProvider, LlmProvider, RateBuckets};
use sybil_redis::RedisBuckets;

use sybil_ports::outbound::{ExaApi, WebSearch};
use sybil_ssh::Ssh2Shell;
use sybil_web::{ExaClient, ExaSettings, FetchSettings, HttpPageFetcher, SearxngClient};

use crate::config::{AccountsConfig, Config, ProviderConfig, SearchEngine};
use crate::usecases::accounts::{AccountDeps, AccountSettings, OAuthProviders};
use crate::usecases::completions::{CompletionDeps, JobHub, STOP_GRACE};
use crate::usecases::conversations::{ConversationDeps, ConversationService, ConversationSettings};
use crate::usecases::rate_limits::{RateLimitDeps, RateLimitService};
use crate::usecases::tools::{Devbox, ToolRunner};
use crate::usecases::{
    AccountService, ChatService, CompletionService, ModelCatalog, Providers, SearchService,
};

/// How often the model lists are reloaded from the providers.
const MODEL_REFRESH: Duration = Duration::from_secs(15 * 60);

/// The providers that have a key, each with its own pooled client.
fn providers(config: &Config) -> anyhow::Result<Providers> {
    let settings = |p: &ProviderConfig| {
        p.api_key.clone().map(|api_key| ProviderSettings {
            api_key,
            base_url: p.base_url.clone(),
            timeout: config.upstream_timeout,
        })
    };
    let mut list: Vec<Arc<dyn LlmProvider>> = Vec::new();
    if let Some(s) = settings(&config.openai) {
        list.push(Arc::new(OpenAiProvider::new(s)?));
    }
    if let Some(s) = settings(&config.anthropic) {
        list.push(Arc::new(AnthropicProvider::new(s)?));
    }
    if let Some(s) = settings(&config.xai) {
        list.push(Arc::new(XaiProvider::new(s)?));
    }
    let metered = list.into_iter().map(|p| {
        let p: Arc<dyn LlmProvider> = Arc::new(metered::MeteredProvider(p));
        p
    });
    Ok(Providers::new(metered.collect()))
}

/// The tools: web search by the configured engine, page fetch, and the
/// devbox over SSH when enabled.
fn tools(config: &Config, exa: Option<Arc<ExaClient>>) -> anyhow::Result<ToolRunner> {
    let web_search: Option<Arc<dyn WebSearch>> = match &config.web_search {
        SearchEngine::Exa => exa.map(|client| client as Arc<dyn WebSearch>),
        SearchEngine::Searxng { base_url } => Some(Arc::new(SearxngClient::new(
            base_url,
            config.upstream_timeout,
        )?)),
    };
    let fetcher = HttpPageFetcher::new(FetchSettings {
        allow_private_networks: config.fetch_allow_private_networks,
        ..FetchSettings::default()
    })?;
    let devbox = config.devbox.as_ref().map(|d| Devbox {
        shell: Arc::new(Ssh2Shell::new(d.ssh.clone())),
        workdir: d.workdir.clone(),
        codex: d.codex,
        shell_exec: d.shell,
    });
    Ok(ToolRunner {
        web_search,
        fetcher: Arc::new(fetcher),
        devbox,
    })
}

/// The Exa client, when `EXA_API_KEY` is set.
fn exa(config: &Config) -> anyhow::Result<Option<Arc<ExaClient>>> {
    let Some(api_key) = config.exa_api_key.clone() else {
        return Ok(None);
    };
    let client = ExaClient::new(ExaSettings {
        api_key,
        base_url: config.exa_base_url.clone(),
        timeout: config.upstream_timeout,
    })?;
    Ok(Some(Arc::new(client)))
}

/// GitHub and Apple sign-in, each built when configured.
fn oauth(config: &AccountsConfig, clock: Arc<dyn Clock>) -> anyhow::Result<OAuthProviders> {
    let github = match &config.github {
        Ok(settings) => Ok(Arc::new(sybil_oauth::GithubSignIn::new(settings.clone())?)
            as Arc<dyn IdentityProvider>),
        Err(missing) => Err(missing.clone()),
    };
    let apple = match &config.apple {
        Ok(settings) => Ok(
            Arc::new(sybil_oauth::AppleSignIn::new(settings.clone(), clock)?)
                as Arc<dyn IdentityProvider>,
        ),
        Err(missing) => Err(missing.clone()),
    };
    Ok(OAuthProviders { github, apple })
}

/// Rate-limit buckets: in Redis for the whole fleet with `REDIS_URL`,
/// else in this process.
fn buckets(config: &Config) -> anyhow::Result<Arc<dyn RateBuckets>> {
    Ok(match &config.redis_url {
        Some(url) => Arc::new(RedisBuckets::new(url.expose()).context("REDIS_URL")?),
        None => Arc::new(MemoryBuckets::default()),
    })
}

/// The account use cases over storage, Argon2id, OS randomness and the
/// rate buckets.
fn accounts(
    config: &Config,
    storage: Arc<BoundedStorage>,
    buckets: Arc<dyn RateBuckets>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
) -> anyhow::Result<AccountService> {
    let a = &config.accounts;
    let secs = |s: u64| i64::try_from(s.saturating_mul(1000)).unwrap_or(i64::MAX);
    Ok(AccountService::new(AccountDeps {
        store: storage,
        passwords: Arc::new(Argon2Passwords::new()),
        tokens: Arc::new(OsTokens),
        buckets,
        oauth: oauth(a, clock.clone())?,
        clock,
        ids,
        settings: AccountSettings {
            windows: SessionWindows {
                idle_ms: secs(a.session_idle_seconds),
                absolute_ms: secs(a.session_absolute_seconds),
            },
            admin_token: config.admin_token.clone(),
            login_attempts_per_ip_per_minute: a.login_attempts_per_ip_per_minute,
            login_failures_per_account: a.login_failures_per_account,
        },
    }))
}

/// What keeps running in the background of a serving process.
struct Background {
    models: Arc<ModelCatalog>,
    jobs: Arc<JobHub>,
    conversations: Arc<ConversationService>,
    limits: Arc<RateLimitService>,
    calls: QueuedCallLog,
}

/// Wires the use cases over the adapters; the background parts are started
/// only by a serving process.
fn services(
    config: &Config,
    storage: Arc<SeaOrmStorage>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<(Services, Background)> {
    // The call writer bounds its own attempts; the use cases get every
    // storage call bounded in time.
    let calls = QueuedCallLog::spawn(SeaOrmStorage::clone(&storage));
    let storage = Arc::new(BoundedStorage::new(SeaOrmStorage::clone(&storage)));
    let ids: Arc<dyn IdGenerator> = Arc::new(UuidV7Ids);
    let providers = providers(config)?;
    let fallback = |p: Provider| {
        match p {
            Provider::OpenAi => &config.openai,
            Provider::Anthropic => &config.anthropic,
            Provider::Xai => &config.xai,
        }
        .fallback_models
        .clone()
    };
    let exa = exa(config)?;
    let models = Arc::new(ModelCatalog::new(
        &providers,
        fallback,
        clock.clone(),
        config.upstream_timeout,
    ));
    // A name of its own per process: a restarted server does not adopt the
    // jobs of the one that died.
    let owner = format!("sybil-{}", UuidV7Ids.new_id());
    let jobs = Arc::new(
        JobHub::new(storage.clone(), clock.clone(), owner.clone()).with_wakeups(storage.clone()),
    );
    let completions = Arc::new(CompletionService::new(CompletionDeps {
        chats: storage.clone(),
        calls: Arc::new(calls.clone()),
        providers,
        clock: clock.clone(),
        ids: ids.clone(),
        tools: tools(config, exa.clone())?,
        max_tool_rounds: config.max_tool_rounds,
        jobs: jobs.clone(),
    }));
    let searches = SearchService {
        searches: storage.clone(),
        chats: storage.clone(),
        exa: exa.map(|client| Arc::new(metered::MeteredExa(client)) as Arc<dyn ExaApi>),
        clock: clock.clone(),
        ids: ids.clone(),
    };
    let buckets = buckets(config)?;
    let limits = Arc::new(RateLimitService::new(RateLimitDeps {
        store: storage.clone(),
        buckets: buckets.clone(),
        clock: clock.clone(),
        ids: ids.clone(),
        wakeups: storage.clone(),
        per_minute: config.rate_limit_per_minute,
    }));
    let accounts = accounts(config, storage.clone(), buckets, clock.clone(), ids.clone())?;
    let conversations = Arc::new(ConversationService::new(ConversationDeps {
        store: storage.clone(),
        tokens: Arc::new(OsTokens),
        clock: clock.clone(),
        ids: ids.clone(),
        replies: Arc::new(completions.thread_replies(storage.clone(), storage.clone())),
        wakeups: storage.clone(),
        limits: limits.clone(),
        settings: ConversationSettings {
            presence: config.conversations.presence,
            assistant_default: config.conversations.assistant_default.clone(),
            owner,
            stream_max_lag: config.conversations.stream_max_lag,
            stream_retention: config.conversations.stream_retention,
        },
    }));
    let services = Services {
        conversations: conversations.clone(),
        limits: limits.clone(),
        accounts: Arc::new(accounts),
        readiness: Arc::new(readiness::StorageReadiness(storage.clone())),
        searches: Arc::new(searches),
        chats: Arc::new(ChatService::new(storage, clock, ids)),
        resumable: completions.clone(),
        completions,
        models: models.clone(),
    };
    Ok((
        services,
        Background {
            models,
            jobs,
            conversations,
            limits,
            calls,
        },
    ))
}

fn auth(config: &Config) -> AuthConfig {
    let a = &config.accounts;
    AuthConfig {
        admin_token: config.admin_token.clone(),
        collab: CollabConfig {
            cookies: CookiePolicy {
                secure: a.cookie_secure,
            },
            cors: a.cors_origins.clone(),
            trusted_proxies: a.trusted_proxies.clone(),
            oauth_success_url: a.oauth_success_url.clone(),
            stream_keepalive: config.conversations.stream_keepalive,
            stream_session_check: config.conversations.stream_session_check,
        },
    }
}

/// Connects storage and applies migrations (`sybil migrate`, and startup).
pub async fn migrate(config: &Config) -> anyhow::Result<Arc<SeaOrmStorage>> {
    let storage = SeaOrmStorage::connect(config.database_url.expose())
        .await
        .context("connecting to DATABASE_URL")?;
    storage.migrate().await.context("applying migrations")?;
    Ok(Arc::new(storage))
}

/// The OpenAPI spec as YAML or JSON. Storage is connected lazily, so this
/// touches no disk or network.
pub fn openapi_spec(config: &Config, json: bool) -> anyhow::Result<String> {
    let storage =
        SeaOrmStorage::connect_lazy(config.database_url.expose()).context("DATABASE_URL")?;
    let (services, _) = services(config, Arc::new(storage), Arc::new(SystemClock))?;
    let api = sybil_http::api_service(&services, &auth(config));
    Ok(if json {
        sybil_http::spec_json(&api)
    } else {
        sybil_http::spec_yaml(&api)
    })
}

/// A bound, migrated server, ready to run.
pub struct Application {
    addr: SocketAddr,
    listener: tokio::net::TcpListener,
    app: poem::endpoint::BoxEndpoint<'static>,
    calls: QueuedCallLog,
    connections: sybil_http::ConnectionLimits,
    jobs: Arc<JobHub>,
    /// `SHUTDOWN_DRAIN_MS`.
    drain: Duration,
}

impl Application {
    /// Connects and migrates storage, wires the use cases, and binds the
    /// listener (port 0 picks a free port; see `port()`).
    pub async fn build(config: &Config) -> anyhow::Result<Application> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Like [`Application::build`], with the clock every use case reads:
    /// tests that check an order by time give one that they move themselves.
    pub async fn build_with_clock(
        config: &Config,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Application> {
        let storage = migrate(config).await?;
        // PostgreSQL: other processes' committed changes wake this one's
        // followers.
        storage.spawn_listener(config.database_url.expose());
        let (services, background) = services(config, storage, clock)?;
        // The assignments hold from the first request; then every change
        // made anywhere is followed. Loaded before the background rounds
        // start, on the connection the migrations used (each SQLite
        // connection is a thread and a page cache of its own).
        background
            .limits
            .start_following()
            .await
            .context("loading the rate-limit profiles")?;
        background.models.spawn_refresh(MODEL_REFRESH);
        background
            .jobs
            .spawn_maintenance(config.completion_retention);
        background.conversations.spawn_maintenance();
        let app = sybil_http::app(services, auth(config));
        let bind = SocketAddr::new(config.host, config.port);
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .with_context(|| format!("binding {bind}"))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        Ok(Application {
            addr,
            listener,
            app: poem::EndpointExt::boxed(app),
            calls: background.calls,
            connections: config.connections,
            jobs: background.jobs,
            drain: config.shutdown_drain,
        })
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The queued LLM call log: `flush` it to read every call so far.
    pub fn call_log(&self) -> QueuedCallLog {
        self.calls.clone()
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting, lets in-flight
    /// requests and resumable jobs finish (the jobs still running at the
    /// drain deadline are stopped) and writes the queued call rows.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let signal = shutdown_signal();
        tracing::info!(addr = %self.addr, "sybil listening");
        let (signalled, on_signal) = tokio::sync::oneshot::channel();
        let shutdown = async move {
            signal.await;
            let _ = signalled.send(());
        };
        let jobs = self.jobs.clone();
        let drain = self.drain;
        // A job runs in a task of its own, not in a request: without this
        // the process would end it mid-way, leaving it `running`.
        let jobs_drained = async move {
            if on_signal.await.is_ok() {
                jobs.drain(drain).await;
            }
        };
        // Connections get the grace too: a job stopped at the deadline still
        // sends its `done` to its followers.
        let served = sybil_http::serve(
            self.listener,
            self.app,
            shutdown,
            drain + STOP_GRACE,
            self.connections,
        );
        let (served, ()) = tokio::join!(served, jobs_drained);
        let served = served.context("serving");
        self.calls.flush().await;
        served
    }
}

/// Raises this process's open-files soft limit to its hard limit: every
/// connection, pooled database connection and upstream call holds a file
/// descriptor, and distributions often start services at 1024 or fewer.
pub fn raise_open_files_limit(max_connections: usize) {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => {
            tracing::info!(open_files = limit, "open-files limit");
            if max_connections as u64 >= limit {
                tracing::warn!(
                    open_files = limit,
                    max_connections,
                    "HTTP_MAX_CONNECTIONS is not below the open-files limit; \
                     connections may fail to be accepted before the cap is reached"
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not raise the open-files limit"),
    }
}

/// Resolves at SIGTERM or SIGINT. The handlers are installed when this is
/// called, not when it is first polled: a signal sent as soon as "sybil
/// listening" is logged is then a graceful shutdown, never the default
/// action that kills the process.
#[cfg(unix)]
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{Signal, SignalKind, signal};
    async fn received(signal: std::io::Result<Signal>) {
        match signal {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    }
    let term = received(signal(SignalKind::terminate()));
    let int = received(signal(SignalKind::interrupt()));
    async move {
        tokio::select! {
            () = term => {},
            () = int => {},
        }
        tracing::info!("shutdown signal received; draining");
    }
}

#[cfg(not(unix))]
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutdown signal received; draining");
    }
}
