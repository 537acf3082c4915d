//! The rules of an account's fields (§3.2): each check trims where the rule
//! says so and returns the value to store, or names the field and the rule.

use super::roles::{Roles, RolesError, UserRole};

/// A value that breaks a rule: the field, and the rule with its limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> FieldError {
        FieldError {
            field,
            message: message.into(),
        }
    }
}

pub const MAX_EMAIL: usize = 254;
pub const MAX_USERNAME: usize = super::oauth::MAX_USERNAME;
pub const MAX_DISPLAY_NAME: usize = 128;
pub const MIN_PASSWORD: usize = 8;
pub const MAX_PASSWORD: usize = 1024;

/// Trimmed; at most 254 characters, no whitespace, exactly one `@` with
/// text on both sides.
pub fn email(raw: &str) -> Result<String, FieldError> {
    let value = raw.trim();
    let rule = || {
        FieldError::new(
            "email",
            format!(
                "email must be an address of at most {MAX_EMAIL} characters with one @ and no spaces"
            ),
        )
    };
    if value.chars().count() > MAX_EMAIL || value.chars().any(char::is_whitespace) {
        return Err(rule());
    }
    match value.split_once('@') {
        Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !domain.contains('@') =>
        {
            Ok(value.to_string())
        }
        _ => Err(rule()),
    }
}

/// Trimmed; 1–64 characters of `A–Z a–z 0–9 _ . -`.
pub fn username(raw: &str) -> Result<String, FieldError> {
    let value = raw.trim();
    let len = value.chars().count();
    let allowed = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if len == 0 || len > MAX_USERNAME || !allowed {
        return Err(FieldError::new(
            "username",
            format!("username must be 1 to {MAX_USERNAME} characters of A-Z, a-z, 0-9, _, . and -"),
        ));
    }
    Ok(value.to_string())
}

/// Trimmed; at most 128 characters; blank is absent.
pub fn display_name(raw: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(value) = raw.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > MAX_DISPLAY_NAME {
        return Err(FieldError::new(
            "display_name",
            format!("display_name must be at most {MAX_DISPLAY_NAME} characters"),
        ));
    }
    Ok(Some(value.to_string()))
}

/// 8–1024 characters, not trimmed.
pub fn password(raw: &str) -> Result<(), FieldError> {
    let len = raw.chars().count();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&len) {
        return Err(FieldError::new(
            "password",
            format!("password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters"),
        ));
    }
    Ok(())
}

/// Names of roles as sent; `None` is the default `["member"]`.
pub fn roles(raw: Option<&[UserRole]>) -> Result<Roles, FieldError> {
    match raw {
        None => Ok(Roles::member()),
        Some(list) => Roles::new(list.iter().copied()).map_err(|e| {
            let message = match e {
                RolesError::Empty => "roles must hold at least 1 role",
                RolesError::ReadOnlyCombined => {
                    "roles must not combine read_only with another role"
                }
            };
            FieldError::new("roles", message)
        }),
    }
}

/// A new password account, checked: what setup and the admin store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub email: String,
    pub username: String,
    pub display_name: Option<String>,
    pub roles: Roles,
}

impl NewAccount {
    /// Checks the fields in the order a client reads them: email, username,
    /// password, display name, roles.
    pub fn check(
        email_raw: &str,
        username_raw: &str,
        password_raw: &str,
        display_name_raw: Option<&str>,
        roles_raw: Option<&[UserRole]>,
    ) -> Result<NewAccount, FieldError> {
        let email = email(email_raw)?;
        let username = username(username_raw)?;
        password(password_raw)?;
        Ok(NewAccount {
            email,
            username,
            display_name: display_name(display_name_raw)?,
            roles: roles(roles_raw)?,
        })
    }
}

/// How a login's `email` field names an account: an email when it holds an
/// `@`, else a username; compared without regard to case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginName {
    Email(String),
    Username(String),
}

impl LoginName {
    /// From the trimmed field; lower-cased for lookup.
    pub fn parse(trimmed: &str) -> LoginName {
        let key = trimmed.to_lowercase();
        if key.contains('@') {
            LoginName::Email(key)
        } else {
            LoginName::Username(key)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_need_one_at_with_text_around_it() {
        assert_eq!(email("  Ann@Example.org ").unwrap(), "Ann@Example.org");
        for bad in ["", "ann", "@x", "ann@", "a@b@c", "a b@c", "a@b\tc"] {
            assert_eq!(email(bad).unwrap_err().field, "email", "{bad:?}");
        }
        let longest = format!("{}@x.org", "a".repeat(MAX_EMAIL - 6));
        assert!(email(&longest).is_ok());
        assert!(email(&format!("a{longest}")).is_err());
    }

    #[test]
    fn email_rule_states_its_limit() {
        assert!(email("nope").unwrap_err().message.contains("254"));
    }

    #[test]
    fn usernames_allow_a_small_alphabet_and_64_characters() {
        assert_eq!(username(" ann.b-c_1 ").unwrap(), "ann.b-c_1");
        for bad in ["", "  ", "ann@x", "än", "a b", &"a".repeat(65)] {
            let err = username(bad).unwrap_err();
            assert_eq!(err.field, "username", "{bad:?}");
            assert!(err.message.contains("64"));
        }
        assert!(username(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn display_names_blank_to_absent_and_at_most_128() {
        assert_eq!(display_name(None).unwrap(), None);
        assert_eq!(display_name(Some("   ")).unwrap(), None);
        assert_eq!(display_name(Some(" Ann ")).unwrap(), Some("Ann".into()));
        assert!(display_name(Some(&"é".repeat(128))).is_ok());
        let err = display_name(Some(&"é".repeat(129))).unwrap_err();
        assert_eq!(err.field, "display_name");
        assert!(err.message.contains("128"));
    }

    #[test]
    fn passwords_count_characters_untrimmed() {
        assert!(password("12345678").is_ok());
        assert!(password("       a").is_ok());
        assert!(password("1234567").is_err());
        assert!(password(&"x".repeat(1024)).is_ok());
        let err = password(&"x".repeat(1025)).unwrap_err();
        assert_eq!(err.field, "password");
        assert!(err.message.contains("8") && err.message.contains("1024"));
    }

    #[test]
    fn roles_default_to_member_and_refuse_bad_sets() {
        assert_eq!(roles(None).unwrap(), Roles::member());
        assert_eq!(roles(Some(&[])).unwrap_err().field, "roles");
        assert_eq!(
            roles(Some(&[UserRole::ReadOnly, UserRole::Member]))
                .unwrap_err()
                .field,
            "roles"
        );
        assert!(roles(Some(&[UserRole::Admin])).unwrap().is_admin());
    }

    #[test]
    fn new_accounts_check_fields_in_order() {
        let err = NewAccount::check("bad", "bad name", "short", None, None).unwrap_err();
        assert_eq!(err.field, "email");
        let err = NewAccount::check("a@b", "bad name", "short", None, None).unwrap_err();
        assert_eq!(err.field, "username");
        let err = NewAccount::check("a@b", "ann", "short", None, None).unwrap_err();
        assert_eq!(err.field, "password");
        let ok = NewAccount::check(" a@b ", " ann ", "long enough", Some(" A "), None).unwrap();
        assert_eq!(
            ok,
            NewAccount {
                email: "a@b".into(),
                username: "ann".into(),
                display_name: Some("A".into()),
                roles: Roles::member(),
            }
        );
    }

    #[test]
    fn login_names_pick_email_or_username_by_the_at_sign() {
        assert_eq!(
            LoginName::parse("Ann@X.org"),
            LoginName::Email("ann@x.org".into())
        );
        assert_eq!(LoginName::parse("Ann"), LoginName::Username("ann".into()));
    }
}
