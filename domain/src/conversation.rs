//! Shared conversations of `/api` (COLLAB-API.md §2.2–§2.3, §3.6, §4.5–§4.9):
//! the pure rules the conversation use cases apply — who may do what, the
//! tree paths of messages, invite validity, presence from timestamps,
//! typing windows, and the content rules of titles and posts.

pub mod content;
pub mod invite;
pub mod model;
pub mod path;
pub mod permissions;
pub mod presence;
pub mod typing;

pub use invite::{Invite, InviteAcceptance};
pub use path::MessagePath;
pub use permissions::{Action, ConversationRole};
pub use presence::PresenceStatus;
