//! Password hashes: argon2id (v19, 19 MiB, 2 passes, 1 lane: the argon2 crate's defaults, OWASP's
//! recommended minimum) in PHC string format. Verifying reads the parameters from the stored
//! string, so hashes made with other parameters keep working. Both run on the blocking pool: a
//! hash takes tens of milliseconds of CPU.

use std::sync::LazyLock;

use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

use crate::error::AppError;

fn hash_now(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing a password: {e}")))
}

fn verify_now(stored: &str, password: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(e) => {
            tracing::error!(error = %e, "a stored password hash is not a PHC string");
            false
        }
    }
}

/// The hash of a password no one knows, checked when the username is unknown so that an unknown
/// username takes as long as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let unguessable = hex::encode(rand::random::<[u8; 32]>());
    hash_now(&unguessable).unwrap_or_default()
});

/// Makes the dummy hash now, so the first login with an unknown username is not the slow one.
pub async fn warm_up() {
    let _ = actix_web::rt::task::spawn_blocking(|| LazyLock::force(&DUMMY_HASH).len()).await;
}

pub(super) async fn hash(password: &str) -> Result<String, AppError> {
    let password = password.to_owned();
    actix_web::rt::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("password hashing task: {e}")))?
}

/// Whether `password` matches `stored`; with no stored hash (unknown username), false after the
/// same work as a real check.
pub(super) async fn verify(stored: Option<String>, password: &str) -> Result<bool, AppError> {
    let password = password.to_owned();
    actix_web::rt::task::spawn_blocking(move || match stored {
        Some(stored) => verify_now(&stored, &password),
        None => {
            verify_now(&DUMMY_HASH, &password);
            false
        }
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("password checking task: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn hashes_are_argon2id_phc_strings_that_verify_only_their_password() {
        let stored = hash("correct horse battery").await.unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(
            verify(Some(stored.clone()), "correct horse battery")
                .await
                .unwrap()
        );
        assert!(
            !verify(Some(stored.clone()), "correct horse batterY")
                .await
                .unwrap()
        );
        // Salted: the same password hashes differently.
        assert_ne!(hash("correct horse battery").await.unwrap(), stored);
        assert!(!verify(Some("not a hash".into()), "x").await.unwrap());
        assert!(!verify(None, "correct horse battery").await.unwrap());
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_does() {
        let dummy = PasswordHash::new(&DUMMY_HASH).unwrap();
        let real_text = hash_now("a real password").unwrap();
        let real = PasswordHash::new(&real_text).unwrap();
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.version, real.version);
        assert_eq!(dummy.params, real.params);
    }
}
