//! The backend-independent suite: every case runs on SQLite and on PostgreSQL.

mod append;
mod call_rows;
mod chats;
mod deep_rows;
mod history;
mod jobs;
mod model_use;
mod rate_limits;
mod schema;
mod searches;

pub use append::*;
pub use call_rows::*;
pub use chats::*;
pub use deep_rows::*;
pub use history::*;
pub use jobs::*;
pub use model_use::*;
pub use rate_limits::*;
pub use schema::*;
pub use searches::*;
