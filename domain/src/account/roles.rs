//! Global roles: a non-empty set, `read_only` alone, shown in a fixed order.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UserRole {
    Admin,
    Member,
    ReadOnly,
}

impl UserRole {
    pub const ALL: [UserRole; 3] = [UserRole::Admin, UserRole::Member, UserRole::ReadOnly];

    pub fn as_str(self) -> &'static str {
        match self {
            UserRole::Admin => "admin",
            UserRole::Member => "member",
            UserRole::ReadOnly => "read_only",
        }
    }

    pub fn parse(text: &str) -> Option<UserRole> {
        UserRole::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

impl fmt::Display for UserRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A valid set of global roles, in the order `admin`, `member`, `read_only`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roles(Vec<UserRole>);

/// Why a list of roles is not a valid set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RolesError {
    #[error("roles must not be empty")]
    Empty,
    #[error("roles must not combine read_only with another role")]
    ReadOnlyCombined,
}

impl Roles {
    /// Sorted and de-duplicated; empty, or `read_only` with another role,
    /// is refused.
    pub fn new(list: impl IntoIterator<Item = UserRole>) -> Result<Roles, RolesError> {
        let mut roles: Vec<UserRole> = list.into_iter().collect();
        roles.sort();
        roles.dedup();
        if roles.is_empty() {
            return Err(RolesError::Empty);
        }
        if roles.contains(&UserRole::ReadOnly) && roles.len() > 1 {
            return Err(RolesError::ReadOnlyCombined);
        }
        Ok(Roles(roles))
    }

    /// The first account's: `["admin", "member"]`.
    pub fn setup() -> Roles {
        Roles(vec![UserRole::Admin, UserRole::Member])
    }

    /// Everyone else's unless told otherwise: `["member"]`.
    pub fn member() -> Roles {
        Roles(vec![UserRole::Member])
    }

    pub fn as_slice(&self) -> &[UserRole] {
        &self.0
    }

    pub fn is_admin(&self) -> bool {
        self.0.contains(&UserRole::Admin)
    }

    pub fn is_read_only(&self) -> bool {
        self.0.contains(&UserRole::ReadOnly)
    }

    /// Stored form: the names joined by `,`.
    pub fn to_stored(&self) -> String {
        let names: Vec<&str> = self.0.iter().map(|r| r.as_str()).collect();
        names.join(",")
    }

    /// Reads the stored form; `None` when it is not a valid set.
    pub fn from_stored(text: &str) -> Option<Roles> {
        let parsed: Option<Vec<UserRole>> = text.split(',').map(UserRole::parse).collect();
        Roles::new(parsed?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use UserRole::*;

    #[test]
    fn sets_are_sorted_and_deduplicated() {
        let roles = Roles::new([Member, Admin, Member]).unwrap();
        assert_eq!(roles.as_slice(), &[Admin, Member]);
        assert!(roles.is_admin());
        assert!(!roles.is_read_only());
    }

    #[test]
    fn empty_sets_and_read_only_with_others_are_refused() {
        assert_eq!(Roles::new([]), Err(RolesError::Empty));
        assert_eq!(
            Roles::new([ReadOnly, Member]),
            Err(RolesError::ReadOnlyCombined)
        );
        assert_eq!(
            Roles::new([ReadOnly, Admin]),
            Err(RolesError::ReadOnlyCombined)
        );
        assert!(Roles::new([ReadOnly]).unwrap().is_read_only());
    }

    #[test]
    fn the_stored_form_round_trips() {
        for roles in [
            Roles::setup(),
            Roles::member(),
            Roles::new([ReadOnly]).unwrap(),
        ] {
            assert_eq!(Roles::from_stored(&roles.to_stored()), Some(roles));
        }
        assert_eq!(Roles::setup().to_stored(), "admin,member");
        assert_eq!(Roles::from_stored("admin,bogus"), None);
        assert_eq!(Roles::from_stored(""), None);
    }

    #[test]
    fn names_parse_back() {
        for role in UserRole::ALL {
            assert_eq!(UserRole::parse(role.as_str()), Some(role));
        }
        assert_eq!(UserRole::parse("Admin"), None);
    }
}
