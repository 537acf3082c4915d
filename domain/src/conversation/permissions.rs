//! Conversation roles and what each may do (§3.6). A user whose global role
//! is `read_only` acts as a viewer whatever the stored role.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConversationRole {
    Owner,
    Admin,
    Member,
    Viewer,
}

impl ConversationRole {
    pub const ALL: [ConversationRole; 4] = [
        ConversationRole::Owner,
        ConversationRole::Admin,
        ConversationRole::Member,
        ConversationRole::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConversationRole::Owner => "owner",
            ConversationRole::Admin => "admin",
            ConversationRole::Member => "member",
            ConversationRole::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Option<ConversationRole> {
        ConversationRole::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
    }

    /// The role that decides: a `read_only` user is a viewer everywhere.
    pub fn effective(self, read_only: bool) -> ConversationRole {
        if read_only {
            ConversationRole::Viewer
        } else {
            self
        }
    }

    fn manages(self) -> bool {
        matches!(self, ConversationRole::Owner | ConversationRole::Admin)
    }

    fn writes(self) -> bool {
        self != ConversationRole::Viewer
    }
}

impl fmt::Display for ConversationRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a participant asks to do, with what the rule depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The conversation, threads, tree, chunks, unread counts, the stream.
    Read,
    /// Mark read, heartbeat.
    Acknowledge,
    /// A root, a reply, typing.
    Post,
    /// Edit one's own message (never an assistant reply: see `may_edit`).
    EditOwn,
    DeleteOwn,
    /// Delete another's message, assistant replies included.
    DeleteAny,
    /// Restore a deleted message; `deleted_by_actor` when the actor deleted it.
    Restore {
        deleted_by_actor: bool,
    },
    /// Cancel an assistant reply; `answers_actor` when it replies to the actor's message.
    Cancel {
        answers_actor: bool,
    },
    /// Add a participant, or change one's role, to `role`; `target` is the
    /// target's current active role, if any.
    SetRole {
        role: ConversationRole,
        target: Option<ConversationRole>,
    },
    /// Remove a participant whose role is `target`; `itself` is leaving.
    Remove {
        target: ConversationRole,
        itself: bool,
    },
    /// Create an invite that grants `role`.
    Invite {
        role: ConversationRole,
    },
    RevokeInvite,
}

/// Whether a participant whose role decides as `role` (see
/// `ConversationRole::effective`) may do `action`.
pub fn permits(role: ConversationRole, action: Action) -> bool {
    use ConversationRole::*;
    match action {
        Action::Read | Action::Acknowledge => true,
        Action::Post | Action::EditOwn | Action::DeleteOwn => role.writes(),
        Action::DeleteAny | Action::RevokeInvite => role.manages(),
        Action::Restore { deleted_by_actor } => {
            role.manages() || (role == Member && deleted_by_actor)
        }
        Action::Cancel { answers_actor } => role.manages() || (role == Member && answers_actor),
        Action::SetRole {
            role: granted,
            target,
        } => match role {
            Owner => true,
            Admin => granted != Owner && target != Some(Owner),
            Member | Viewer => false,
        },
        Action::Remove { target, itself } => {
            itself
                || match role {
                    Owner => true,
                    Admin => target != Owner,
                    Member | Viewer => false,
                }
        }
        Action::Invite { role: granted } => match role {
            Owner => true,
            Admin => granted != Owner,
            Member | Viewer => false,
        },
    }
}

/// Whether a change leaves the conversation an active owner: `owners` is
/// how many it has now, `target_is_owner` whether the change takes one of
/// them, and `stays_owner` whether that one remains an owner after it.
pub fn keeps_an_owner(owners: u64, target_is_owner: bool, stays_owner: bool) -> bool {
    !(target_is_owner && !stays_owner && owners <= 1)
}

#[cfg(test)]
mod tests {
    use super::ConversationRole::*;
    use super::*;

    #[test]
    fn everyone_reads_and_acknowledges() {
        for role in ConversationRole::ALL {
            assert!(permits(role, Action::Read));
            assert!(permits(role, Action::Acknowledge));
        }
    }

    #[test]
    fn viewers_never_write() {
        for action in [Action::Post, Action::EditOwn, Action::DeleteOwn] {
            assert!(permits(Owner, action));
            assert!(permits(Admin, action));
            assert!(permits(Member, action));
            assert!(!permits(Viewer, action));
        }
    }

    #[test]
    fn only_owners_and_admins_delete_others_and_revoke_invites() {
        for action in [Action::DeleteAny, Action::RevokeInvite] {
            assert!(permits(Owner, action));
            assert!(permits(Admin, action));
            assert!(!permits(Member, action));
            assert!(!permits(Viewer, action));
        }
    }

    #[test]
    fn members_restore_and_cancel_only_their_own() {
        for own in [false, true] {
            let restore = Action::Restore {
                deleted_by_actor: own,
            };
            let cancel = Action::Cancel { answers_actor: own };
            for action in [restore, cancel] {
                assert!(permits(Owner, action));
                assert!(permits(Admin, action));
                assert_eq!(permits(Member, action), own);
                assert!(!permits(Viewer, action));
            }
        }
    }

    #[test]
    fn owners_set_any_role_on_anyone() {
        for granted in ConversationRole::ALL {
            for target in [None, Some(Owner), Some(Admin), Some(Member), Some(Viewer)] {
                assert!(permits(
                    Owner,
                    Action::SetRole {
                        role: granted,
                        target
                    }
                ));
            }
        }
    }

    #[test]
    fn admins_set_non_owner_roles_on_non_owners() {
        for granted in ConversationRole::ALL {
            for target in [None, Some(Owner), Some(Admin), Some(Member), Some(Viewer)] {
                let allowed = granted != Owner && target != Some(Owner);
                assert_eq!(
                    permits(
                        Admin,
                        Action::SetRole {
                            role: granted,
                            target
                        }
                    ),
                    allowed,
                    "{granted:?} on {target:?}"
                );
                assert!(!permits(
                    Member,
                    Action::SetRole {
                        role: granted,
                        target
                    }
                ));
                assert!(!permits(
                    Viewer,
                    Action::SetRole {
                        role: granted,
                        target
                    }
                ));
            }
        }
    }

    #[test]
    fn everyone_may_leave_but_only_managers_remove_others() {
        for actor in ConversationRole::ALL {
            for target in ConversationRole::ALL {
                assert!(permits(
                    actor,
                    Action::Remove {
                        target,
                        itself: true
                    }
                ));
                let allowed = match actor {
                    Owner => true,
                    Admin => target != Owner,
                    _ => false,
                };
                assert_eq!(
                    permits(
                        actor,
                        Action::Remove {
                            target,
                            itself: false
                        }
                    ),
                    allowed,
                    "{actor:?} removing {target:?}"
                );
            }
        }
    }

    #[test]
    fn invites_grant_what_the_inviter_could_grant() {
        for granted in ConversationRole::ALL {
            assert!(permits(Owner, Action::Invite { role: granted }));
            assert_eq!(
                permits(Admin, Action::Invite { role: granted }),
                granted != Owner
            );
            assert!(!permits(Member, Action::Invite { role: granted }));
            assert!(!permits(Viewer, Action::Invite { role: granted }));
        }
    }

    #[test]
    fn read_only_users_act_as_viewers() {
        for role in ConversationRole::ALL {
            assert_eq!(role.effective(true), Viewer);
            assert_eq!(role.effective(false), role);
        }
        assert!(!permits(Owner.effective(true), Action::Post));
    }

    #[test]
    fn the_last_owner_cannot_go() {
        // Leaving, removed, or given another role: the last owner stays.
        assert!(!keeps_an_owner(1, true, false));
        assert!(keeps_an_owner(2, true, false));
        assert!(keeps_an_owner(1, true, true));
        assert!(keeps_an_owner(1, false, false));
    }

    #[test]
    fn roles_round_trip_their_names() {
        for role in ConversationRole::ALL {
            assert_eq!(ConversationRole::parse(role.as_str()), Some(role));
        }
        assert_eq!(ConversationRole::parse("Owner"), None);
    }
}
