//! Keeps secrets out of error messages, body snippets and logs.

use std::fmt;
use std::sync::{Arc, LazyLock, RwLock};

use regex::Regex;
use secrecy::{ExposeSecret, SecretString};

/// What every redacted secret is replaced with.
pub const REDACTED: &str = "******";

/// A `Debug`/`Display` stand-in that prints [`REDACTED`], for config types
/// that hold a secret.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// What a URL query encoder escapes: everything but RFC 3986's unreserved set.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Secrets shorter than this are not searched for verbatim: replacing every
/// "a" in a message would make it unreadable and protects nothing.
const MIN_SECRET_LEN: usize = 6;

struct Pattern {
    regex: Regex,
    replacement: &'static str,
}

static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    let pattern = |regex: &str, replacement| Pattern {
        regex: Regex::new(regex).expect("redaction pattern is valid"),
        replacement,
    };
    vec![
        // Header lines as some servers echo them back.
        pattern(
            r"(?i)\b(authorization|proxy-authorization|cookie|set-cookie|x-api-key)(\s*[:=]\s*)[^\r\n]+",
            "${1}${2}******",
        ),
        // Credentials after an auth scheme: long token-looking words only, so
        // "token expired" stays readable.
        pattern(
            r"(?i)\b(bearer|token|basic)(\s+)[A-Za-z0-9\-._~+/]{12,}=*",
            "${1}${2}******",
        ),
        // Query parameters that carry credentials.
        pattern(
            r#"(?i)([?&;](?:token|access_token|auth|api_key|apikey|key|password|session|sessionid|session_id|sig|signature)=)[^&#\s"'<>]+"#,
            "${1}******",
        ),
        // JSON string fields that carry credentials.
        pattern(
            r#"(?i)("(?:password|passwd|token|access_token|refresh_token|id_token|api_key|apikey|secret|client_secret|session|sessionid|session_id|cookie|authorization)"\s*:\s*")(?:[^"\\]|\\.)*(")"#,
            "${1}******${2}",
        ),
    ]
});

/// Replaces known secrets and credential-shaped text with [`REDACTED`].
///
/// It knows the exact secrets of one client (its token, password, API key,
/// session) and also masks anything that looks like a credential: header
/// lines, `Bearer …` words, credential query parameters and JSON fields such
/// as `"password"`. Clones share the same secret list, so a session obtained
/// after login is redacted everywhere at once.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Arc<RwLock<Vec<SecretString>>>,
}

impl Redactor {
    /// A redactor for these secrets.
    pub fn new(secrets: impl IntoIterator<Item = SecretString>) -> Self {
        let redactor = Redactor::default();
        for secret in secrets {
            redactor.add(secret);
        }
        redactor
    }

    /// Adds a secret learned later, such as a session token.
    pub fn add(&self, secret: SecretString) {
        if secret.expose_secret().len() >= MIN_SECRET_LEN {
            self.secrets
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(secret);
        }
    }

    /// Returns `text` with every secret masked.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        {
            let secrets = self.secrets.read().unwrap_or_else(|p| p.into_inner());
            for secret in secrets.iter() {
                let secret = secret.expose_secret();
                if out.contains(secret) {
                    out = out.replace(secret, REDACTED);
                }
                // A secret may also appear percent-encoded, as in a query.
                let encoded =
                    percent_encoding::utf8_percent_encode(secret, QUERY_VALUE).to_string();
                if encoded != secret && out.contains(&encoded) {
                    out = out.replace(&encoded, REDACTED);
                }
            }
        }
        for pattern in PATTERNS.iter() {
            if pattern.regex.is_match(&out) {
                out = pattern
                    .regex
                    .replace_all(&out, pattern.replacement)
                    .into_owned();
            }
        }
        out
    }

    /// A short single-line view of a response body for an error: decoded
    /// lossily, redacted, whitespace collapsed, at most `max_bytes` long.
    pub fn snippet(&self, body: &[u8], max_bytes: usize) -> String {
        // Redact more than we keep, so a secret straddling the cut is still caught.
        let window = &body[..body.len().min(max_bytes * 4)];
        let text = String::from_utf8_lossy(window);
        let redacted = self.redact(&text);
        let mut collapsed = String::with_capacity(redacted.len().min(max_bytes));
        for word in redacted.split(|c: char| c.is_whitespace() || c.is_control()) {
            if word.is_empty() {
                continue;
            }
            if !collapsed.is_empty() {
                collapsed.push(' ');
            }
            collapsed.push_str(word);
            if collapsed.len() > max_bytes {
                break;
            }
        }
        if collapsed.len() > max_bytes {
            let mut cut = max_bytes;
            while !collapsed.is_char_boundary(cut) {
                cut -= 1;
            }
            collapsed.truncate(cut);
        }
        collapsed
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.secrets.read().map(|s| s.len()).unwrap_or(0);
        f.debug_struct("Redactor").field("secrets", &count).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn masks_known_secrets_verbatim_and_percent_encoded() {
        let redactor = Redactor::new([secret("s3cr3t-t0ken/+=")]);
        let out = redactor.redact("got s3cr3t-t0ken/+= and s3cr3t-t0ken%2F%2B%3D in a URL");
        assert!(!out.contains("s3cr3t"), "{out}");
        assert_eq!(out.matches(REDACTED).count(), 2);
    }

    #[test]
    fn masks_credential_shapes_without_knowing_the_secret() {
        let redactor = Redactor::default();
        let cases = [
            ("Authorization: Bearer abc.def.ghi", "abc.def"),
            ("authorization=Token 0123456789abcdefXYZ", "0123456789"),
            ("Cookie: sessionid=deadbeefcafe; csrftoken=x", "deadbeef"),
            ("GET /v2/user_list?token=AbCdEf123&x=1", "AbCdEf123"),
            ("https://h/x?a=1&api_key=k3y-value", "k3y-value"),
            (
                r#"{"login_id":"a","password":"hunter2","api_key":"zzz"}"#,
                "hunter2",
            ),
            (r#"{"token": "tok\"en"}"#, "tok\\\"en"),
            (
                "sent Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
                "eyJhbGci",
            ),
        ];
        for (input, leaked) in cases {
            let out = redactor.redact(input);
            assert!(!out.contains(leaked), "{input:?} -> {out:?}");
            assert!(out.contains(REDACTED), "{input:?} -> {out:?}");
        }
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        let redactor = Redactor::new([secret("abc")]); // too short to hunt for
        for text in [
            "token expired",
            "user abc@example.com not found",
            r#"{"detail":"Not authenticated"}"#,
        ] {
            assert_eq!(redactor.redact(text), text);
        }
    }

    #[test]
    fn snippet_is_single_line_redacted_and_bounded() {
        let redactor = Redactor::new([secret("topsecretvalue")]);
        let body = format!(
            "<html>\n<body>\n  leaked topsecretvalue\n{}</body></html>",
            "x".repeat(2000)
        );
        let snippet = redactor.snippet(body.as_bytes(), 512);
        assert!(snippet.len() <= 512);
        assert!(!snippet.contains('\n'));
        assert!(!snippet.contains("topsecretvalue"));
        assert!(snippet.starts_with("<html> <body> leaked ******"));
    }

    #[test]
    fn snippet_survives_invalid_utf8_and_multibyte_cuts() {
        let redactor = Redactor::default();
        let mut body = vec![0xff, 0xfe, b'o', b'k', b' '];
        body.extend("é".repeat(600).as_bytes());
        let snippet = redactor.snippet(&body, 512);
        assert!(snippet.len() <= 512);
        assert!(snippet.starts_with("\u{fffd}\u{fffd}ok"));
    }

    #[test]
    fn debug_never_prints_secrets() {
        let redactor = Redactor::new([secret("supersecret")]);
        assert_eq!(format!("{redactor:?}"), "Redactor { secrets: 1 }");
        assert_eq!(format!("{:?}", Redacted), REDACTED);
    }
}
