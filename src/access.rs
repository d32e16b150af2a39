//! Who may use a server: users with a role and a password, and bearer tokens for API clients. They live beside
//! the log, in the store's directory (`access.json`) or, for a store in a database, in the database's own tables
//! ([`AccessRecords`]), never in the hash chain or in an export: granting access is not a fact of the follow-up.
//!
//! Passwords are kept as argon2id PHC strings; tokens as the SHA-256 of the token, which is shown once when it is
//! created (a token is 32 random bytes, so a fast hash is enough; a password is not, so it gets argon2). Every
//! change is written to a temporary file beside `access.json`, synced, and renamed over it, under an exclusive
//! lock on `access.lock`, so a command adding a user while a server runs loses nothing and the server reads the
//! new file on its next request ([`AccessFile::current`]).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a user may do. Each role may do everything the one before it may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything: status, timelines, the summary, the log.
    Reader,
    /// Also records events and imports files.
    Auditor,
    /// Also manages users and tokens, runs verification and exports the log.
    Admin,
}

impl Role {
    /// Parses `reader`, `auditor` or `admin`.
    ///
    /// # Errors
    /// A message naming the text and the three roles.
    pub fn parse(text: &str) -> Result<Role, String> {
        match text {
            "reader" => Ok(Role::Reader),
            "auditor" => Ok(Role::Auditor),
            "admin" => Ok(Role::Admin),
            other => Err(format!("`{other}` is not a role: give reader, auditor or admin")),
        }
    }

    /// The role's name: `reader`, `auditor`, `admin`.
    pub fn name(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }
}

/// A user: a name (which becomes `recorded_by` of what they record), a role, an argon2id password hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// The name, as it is recorded.
    pub name: String,
    /// The role.
    pub role: Role,
    /// The password as an argon2id PHC string.
    pub password: String,
    /// When the user was added (UTC).
    pub added: Timestamp,
}

/// A bearer token: its id (shown in listings), its user, the SHA-256 of the token, and when it expires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Token {
    /// The token's id: the 8 hexadecimal digits after `fu_` in the token itself.
    pub id: String,
    /// The user the token acts as.
    pub user: String,
    /// The SHA-256 of the whole token, in hexadecimal.
    pub sha256: String,
    /// When it was created (UTC).
    pub created: Timestamp,
    /// When it stops being accepted (UTC).
    pub expires: Timestamp,
}

/// Everything `access.json` holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Access {
    /// The users, by name.
    pub users: Vec<User>,
    /// The tokens.
    pub tokens: Vec<Token>,
}

/// Why access could not be read or changed.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// Reading or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not what this release writes.
    #[error("{path} is damaged: {reason}")]
    Damaged {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The request is wrong: a name taken or unknown, a password too short.
    #[error("{0}")]
    Invalid(String),
    /// The database holding the records failed.
    #[error("{place}: {message}")]
    Database {
        /// The database, as messages name it.
        place: String,
        /// What failed.
        message: String,
    },
    /// A value given is wrong: `field` names it (`name`, `password`, `days`).
    #[error("{message}")]
    InvalidField {
        /// The field: `name`, `password` or `days`.
        field: &'static str,
        /// What is wrong, naming the value.
        message: String,
    },
}

fn invalid(field: &'static str, message: String) -> AccessError {
    AccessError::InvalidField { field, message }
}

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// A new token's default lifetime: 90 days.
pub const TOKEN_DAYS: i64 = 90;

/// Where a store keeps its users and tokens when it does not keep them in a file: a backend with tables of its
/// own (PostgreSQL). Every change replaces the whole [`Access`] under the backend's lock, as a file is replaced.
pub trait AccessRecords: Send + Sync {
    /// A number that changes with every change of the records: a reader reads them again only when it did.
    ///
    /// # Errors
    /// [`AccessError::Database`].
    fn changes(&self) -> Result<u64, AccessError>;

    /// What the records hold now.
    ///
    /// # Errors
    /// [`AccessError::Database`], [`AccessError::Damaged`].
    fn read(&self) -> Result<Access, AccessError>;

    /// Reads the records under an exclusive lock, lets `change` alter them, and writes them whole, or writes
    /// nothing when `change` fails.
    ///
    /// # Errors
    /// What `change` returns; [`AccessError::Database`].
    fn replace(&self, change: &mut dyn FnMut(&mut Access) -> Result<(), AccessError>) -> Result<(), AccessError>;

    /// Keeps a new browser session under the SHA-256 of its cookie, ending `ended` (a digest) and every session
    /// idle for `idle` or more.
    ///
    /// # Errors
    /// [`AccessError::Database`].
    fn start_session(
        &self,
        digest: &str,
        session: &SessionRecord,
        ended: Option<&str>,
        idle: std::time::Duration,
    ) -> Result<(), AccessError>;

    /// The session kept under `digest` if it was used less than `idle` ago, marked as used now.
    ///
    /// # Errors
    /// [`AccessError::Database`].
    fn use_session(&self, digest: &str, idle: std::time::Duration) -> Result<Option<SessionRecord>, AccessError>;

    /// Ends the session kept under `digest`.
    ///
    /// # Errors
    /// [`AccessError::Database`].
    fn end_session(&self, digest: &str) -> Result<(), AccessError>;
}

/// A browser session as a backend keeps it, so that every server process on the same database knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// The user signed in.
    pub user: String,
    /// The token the session's forms carry.
    pub csrf: String,
    /// The SHA-256 of the user's password hash at sign-in.
    pub credential: String,
}

/// The users and tokens of a store, read when they change: a store directory's access file, or a backend's
/// records.
pub struct AccessFile {
    path: PathBuf,
    lock: PathBuf,
    records: Option<std::sync::Arc<dyn AccessRecords>>,
    cached: Mutex<Option<(FileStamp, std::sync::Arc<Access>)>>,
}

/// What tells that a file changed: its inode, length and modification time (seconds, nanoseconds); for records,
/// their change number.
type FileStamp = (u64, u64, i64, i64);

impl AccessFile {
    /// The access file of the store in `dir` (`dir/access.json`, locked through `dir/access.lock`).
    pub fn in_dir(dir: &Path) -> AccessFile {
        AccessFile {
            path: dir.join("access.json"),
            lock: dir.join("access.lock"),
            records: None,
            cached: Mutex::new(None),
        }
    }

    /// The users and tokens a backend keeps in `records`; `place` is what messages call it.
    pub fn in_records(place: &str, records: std::sync::Arc<dyn AccessRecords>) -> AccessFile {
        AccessFile {
            path: PathBuf::from(place),
            lock: PathBuf::new(),
            records: Some(records),
            cached: Mutex::new(None),
        }
    }

    /// The backend that keeps the sessions too, when the users are a backend's records.
    pub fn records(&self) -> Option<std::sync::Arc<dyn AccessRecords>> {
        self.records.clone()
    }

    /// The file's path (for records, what messages call their place).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the file holds now: read again only when its length or modification time changed. No file means no
    /// users and no tokens.
    ///
    /// # Errors
    /// [`AccessError::Io`], [`AccessError::Damaged`].
    pub fn current(&self) -> Result<std::sync::Arc<Access>, AccessError> {
        if let Some(records) = &self.records {
            let stamp = (records.changes()?, 0, 0, 0);
            let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((seen, access)) = cached.as_ref() {
                if *seen == stamp {
                    return Ok(std::sync::Arc::clone(access));
                }
            }
            let access = std::sync::Arc::new(records.read()?);
            *cached = Some((stamp, std::sync::Arc::clone(&access)));
            return Ok(access);
        }
        let stamp = match std::fs::metadata(&self.path) {
            Ok(m) => {
                use std::os::unix::fs::MetadataExt;
                Some((m.ino(), m.len(), m.mtime(), m.mtime_nsec()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => return Err(self.io(source)),
        };
        let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        if let (Some(stamp), Some((seen, access))) = (stamp, cached.as_ref()) {
            if stamp == *seen {
                return Ok(std::sync::Arc::clone(access));
            }
        }
        let access = std::sync::Arc::new(self.read()?);
        if let Some(stamp) = stamp {
            *cached = Some((stamp, std::sync::Arc::clone(&access)));
        }
        Ok(access)
    }

    fn io(&self, source: std::io::Error) -> AccessError {
        AccessError::Io { path: self.path.display().to_string(), source }
    }

    fn read(&self) -> Result<Access, AccessError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| AccessError::Damaged { path: self.path.display().to_string(), reason: e.to_string() }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Access::default()),
            Err(source) => Err(self.io(source)),
        }
    }

    /// Changes the file under its lock: reads it, lets `change` alter it, and writes it whole (a temporary file
    /// synced and renamed over it, mode 0600), or writes nothing when `change` fails.
    ///
    /// # Errors
    /// What `change` returns; [`AccessError::Io`], [`AccessError::Damaged`].
    pub fn change<T>(&self, change: impl FnOnce(&mut Access) -> Result<T, AccessError>) -> Result<T, AccessError> {
        if let Some(records) = &self.records {
            let mut change = Some(change);
            let mut out = None;
            records.replace(&mut |a| {
                let change = change.take().ok_or_else(|| AccessError::Invalid("a change ran twice".into()))?;
                out = Some(change(a)?);
                Ok(())
            })?;
            *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = None;
            return out.ok_or_else(|| AccessError::Invalid("the change did not run".into()));
        }
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| self.io(e))?;
        let lock = File::create(&self.lock).map_err(|e| self.io(e))?;
        fs4::fs_std::FileExt::lock_exclusive(&lock).map_err(|e| self.io(e))?;
        let mut access = self.read()?;
        let out = change(&mut access)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| self.io(e))?;
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(|e| self.io(e))?;
        }
        let json = serde_json::to_vec_pretty(&access).map_err(|e| self.io(e.into()))?;
        tmp.write_all(&json).and_then(|()| tmp.as_file().sync_all()).map_err(|e| self.io(e))?;
        tmp.persist(&self.path).map_err(|e| self.io(e.error))?;
        File::open(dir).and_then(|d| d.sync_all()).map_err(|e| self.io(e))?;
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(out)
    }

    /// Adds user `name` with `role` and `password`, or, when `name` exists, changes its role and password.
    ///
    /// # Errors
    /// [`AccessError::Invalid`] for a name that cannot be a recorder or a password shorter than
    /// [`MIN_PASSWORD_CHARS`]; file failures.
    pub fn add_user(&self, name: &str, role: Role, password: &str, now: Timestamp) -> Result<bool, AccessError> {
        // The name becomes the recorder of what the user records: it must be one.
        events::check_recorder(name)
            .map_err(|e| invalid("name", format!("user name `{}`: {}", name.escape_debug(), e.message)))?;
        if name.trim() != name || name.is_empty() {
            return Err(invalid("name", format!("user name `{name}` has spaces around it or is empty")));
        }
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(invalid(
                "password",
                format!("the password has {} characters; give at least {MIN_PASSWORD_CHARS}", password.chars().count()),
            ));
        }
        let hash = hash_password(password)?;
        self.change(|a| {
            let user = User { name: name.to_owned(), role, password: hash, added: now };
            match a.users.iter_mut().find(|u| u.name == name) {
                Some(u) => {
                    *u = User { added: u.added, ..user };
                    Ok(false)
                }
                None => {
                    a.users.push(user);
                    a.users.sort_by(|x, y| x.name.cmp(&y.name));
                    Ok(true)
                }
            }
        })
    }

    /// Removes user `name` and its tokens.
    ///
    /// # Errors
    /// [`AccessError::Invalid`] for an unknown user; file failures.
    pub fn remove_user(&self, name: &str) -> Result<(), AccessError> {
        self.change(|a| {
            let before = a.users.len();
            a.users.retain(|u| u.name != name);
            if a.users.len() == before {
                return Err(AccessError::Invalid(format!("there is no user `{name}`")));
            }
            a.tokens.retain(|t| t.user != name);
            Ok(())
        })
    }

    /// Creates a token for user `name` valid for `days` days from `now`; returns the token, which is shown once
    /// and kept only as its hash, and its record.
    ///
    /// # Errors
    /// [`AccessError::Invalid`] for an unknown user or a lifetime outside 1 to 3,650 days; file failures.
    pub fn create_token(&self, name: &str, days: i64, now: Timestamp) -> Result<(String, Token), AccessError> {
        if !(1..=3650).contains(&days) {
            return Err(invalid("days", format!("a token lasts 1 to 3650 days, not {days}")));
        }
        let bytes: [u8; 36] = rand::random();
        let id = hex::encode(&bytes[..4]);
        let token = format!("fu_{id}_{}", hex::encode(&bytes[4..]));
        let expires = now
            .checked_add(jiff::SignedDuration::from_hours(days * 24))
            .map_err(|e| invalid("days", format!("a token lasting {days} days: {e}")))?;
        let record = Token { id, user: name.to_owned(), sha256: sha256_hex(&token), created: now, expires };
        let kept = record.clone();
        self.change(move |a| {
            if !a.users.iter().any(|u| u.name == name) {
                return Err(AccessError::Invalid(format!(
                    "there is no user `{name}`: add it with `followup user add`"
                )));
            }
            a.tokens.push(kept);
            Ok(())
        })?;
        Ok((token, record))
    }

    /// Revokes the token with `id`.
    ///
    /// # Errors
    /// [`AccessError::Invalid`] for an unknown id; file failures.
    pub fn revoke_token(&self, id: &str) -> Result<(), AccessError> {
        self.change(|a| {
            let before = a.tokens.len();
            a.tokens.retain(|t| t.id != id);
            if a.tokens.len() == before {
                return Err(AccessError::Invalid(format!("there is no token `{id}`")));
            }
            Ok(())
        })
    }
}

impl Access {
    /// The user a password signs in as: `Some` only when `name` exists and `password` is its password. An unknown
    /// name costs a hash too, so the time taken does not tell which names exist.
    pub fn sign_in(&self, name: &str, password: &str) -> Option<&User> {
        let user = self.users.iter().find(|u| u.name == name);
        let ok = match user {
            Some(u) => verify_password(password, &u.password),
            None => verify_password(password, dummy_hash()),
        };
        user.filter(move |_| ok)
    }

    /// The user a bearer token acts as, if the token is known and has not expired at `now`.
    pub fn by_token(&self, token: &str, now: Timestamp) -> Option<&User> {
        let digest = sha256_hex(token);
        let t = self.tokens.iter().find(|t| t.sha256 == digest && t.expires > now)?;
        self.user(&t.user)
    }

    /// The user called `name`.
    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }
}

/// An argon2id hash of a password no user has, checked against when a name is unknown.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("no user has this password").unwrap_or_default())
}

/// The argon2id PHC string of `password`, with a random salt and argon2's default (OWASP) parameters.
fn hash_password(password: &str) -> Result<String, AccessError> {
    use argon2::password_hash::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AccessError::Invalid(format!("the password could not be hashed: {e}")))
}

/// Whether `password` matches the PHC string `phc`.
fn verify_password(password: &str, phc: &str) -> bool {
    use argon2::password_hash::PasswordVerifier;
    let Ok(parsed) = argon2::password_hash::phc::PasswordHash::new(phc) else { return false };
    argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
}

/// The SHA-256 of `text`, in hexadecimal.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_user_signs_in_with_its_password_only_and_a_token_until_it_expires() {
        let dir = tempfile::tempdir().unwrap();
        let file = AccessFile::in_dir(dir.path());
        assert!(file.add_user("Anna de Vries", Role::Auditor, "correct horse battery", now()).unwrap());
        let access = file.current().unwrap();
        assert_eq!(access.sign_in("Anna de Vries", "correct horse battery").map(|u| u.role), Some(Role::Auditor));
        assert!(access.sign_in("Anna de Vries", "wrong password!").is_none());
        assert!(access.sign_in("nobody", "correct horse battery").is_none());
        let (token, record) = file.create_token("Anna de Vries", 1, now()).unwrap();
        assert!(token.starts_with(&format!("fu_{}_", record.id)));
        let access = file.current().unwrap();
        assert!(!serde_json::to_string(&*access).unwrap().contains(&token), "the token is kept as its hash only");
        assert_eq!(access.by_token(&token, now()).map(|u| u.name.as_str()), Some("Anna de Vries"));
        let later = now().checked_add(jiff::SignedDuration::from_hours(25)).unwrap();
        assert!(access.by_token(&token, later).is_none(), "expired after a day");
        file.revoke_token(&record.id).unwrap();
        assert!(file.current().unwrap().by_token(&token, now()).is_none());
    }

    #[test]
    fn bad_names_short_passwords_and_unknown_users_are_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let file = AccessFile::in_dir(dir.path());
        let e = file.add_user("bob", Role::Reader, "short", now()).unwrap_err();
        assert_eq!(e.to_string(), "the password has 5 characters; give at least 10");
        assert!(file.add_user(" bob", Role::Reader, "long enough pw", now()).is_err());
        assert!(file.add_user("bob\u{7}", Role::Reader, "long enough pw", now()).is_err());
        let e = file.create_token("bob", 90, now()).unwrap_err();
        assert!(e.to_string().starts_with("there is no user `bob`"), "{e}");
        assert!(!file.path().exists(), "nothing was written");
        assert_eq!(Role::parse("owner").unwrap_err(), "`owner` is not a role: give reader, auditor or admin");
    }
}
