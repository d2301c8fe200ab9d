//! The catalogue of planted secrets and near-miss decoys.
//!
//! Every value is synthetic: it has the published *shape* of a provider's
//! credential (prefix, length, alphabet) and random content, so it is never a
//! real credential. Each [`SecretKind`] names the scanner rule id that must
//! report it, and [`SecretKind::generate`] returns the text to plant (one or
//! more lines of realistic context) with the secret's exact position, which is
//! what the ground-truth manifest records. [`DecoyKind`] values look close to a
//! secret but must *not* be reported: wrong length, wrong alphabet, obvious
//! placeholders, variable references, low entropy, public rather than private
//! keys.
//!
//! Invariants (tested below): the secret occurs exactly once in its planted
//! text; planted text never contains a NUL byte; every line ends with `\n`.

use crate::rng::Rng;
use sha2::{Digest, Sha256};

const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const URLSAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const HEX: &[u8] = b"0123456789abcdef";
const DIGITS: &[u8] = b"0123456789";
const PASSWORD: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#%^*_+=";

/// SHA-256 of the secret's bytes, lower-case hex. The scanner's finding
/// fingerprint is defined identically, so manifests and reports compare
/// without either ever storing the secret itself.
pub fn fingerprint(secret: &[u8]) -> String {
    hex::encode(Sha256::digest(secret))
}

/// A secret or decoy rendered into the text that is planted in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planted {
    /// The exact value a rule must capture (for decoys: the near-miss value).
    pub value: String,
    /// One or more complete lines, each ending in `\n`, containing `value` once.
    pub text: String,
    /// Byte offset of `value` within `text`.
    pub offset: usize,
}

impl Planted {
    fn new(prefix: &str, value: String, suffix: &str) -> Planted {
        let text = format!("{prefix}{value}{suffix}\n");
        Planted {
            offset: prefix.len(),
            value,
            text,
        }
    }

    /// Number of `\n`-terminated lines in `text` before the value starts.
    pub fn lines_before_value(&self) -> usize {
        self.text.as_bytes()[..self.offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    }
}

macro_rules! closed_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident => $id:literal,)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vm])* $v,)* }

        impl $name {
            /// Every variant, in declaration order.
            pub fn all() -> &'static [$name] {
                &[$($name::$v,)*]
            }

            /// Stable kebab-case identifier used in manifests.
            pub fn id(self) -> &'static str {
                match self { $($name::$v => $id,)* }
            }

            /// Inverse of [`Self::id`].
            pub fn from_id(id: &str) -> Option<$name> {
                match id { $($id => Some($name::$v),)* _ => None }
            }
        }
    };
}

closed_enum! {
    /// Kinds of planted secrets. `id()` is also the scanner rule id that must
    /// report the secret.
    SecretKind {
        AwsAccessKeyId => "aws-access-key-id",
        AwsSecretAccessKey => "aws-secret-access-key",
        GithubPatClassic => "github-pat-classic",
        GithubPatFineGrained => "github-pat-fine-grained",
        GithubOauthToken => "github-oauth-token",
        GitlabPat => "gitlab-pat",
        SlackBotToken => "slack-bot-token",
        SlackWebhookUrl => "slack-webhook-url",
        StripeSecretKey => "stripe-secret-key",
        GcpApiKey => "gcp-api-key",
        PrivateKeyRsa => "private-key-rsa",
        PrivateKeyOpenssh => "private-key-openssh",
        PostgresUriPassword => "postgres-uri-password",
        MysqlUriPassword => "mysql-uri-password",
        SendgridApiKey => "sendgrid-api-key",
        TwilioApiKey => "twilio-api-key",
        NpmAccessToken => "npm-access-token",
        PypiUploadToken => "pypi-upload-token",
        OpenaiApiKey => "openai-api-key",
        AnthropicApiKey => "anthropic-api-key",
        HuggingfaceToken => "huggingface-token",
        DiscordWebhookUrl => "discord-webhook-url",
        TelegramBotToken => "telegram-bot-token",
        MailgunApiKey => "mailgun-api-key",
        Jwt => "jwt",
        ShopifyAccessToken => "shopify-access-token",
        DigitaloceanPat => "digitalocean-pat",
        AzureStorageAccountKey => "azure-storage-account-key",
        GenericPasswordAssignment => "generic-password-assignment",
    }
}

impl SecretKind {
    /// A fresh synthetic secret of this kind in one of several realistic contexts.
    pub fn generate(self, rng: &mut Rng) -> Planted {
        let style = rng.below(3);
        match self {
            SecretKind::AwsAccessKeyId => {
                let v = format!("AKIA{}", rng.string_from(BASE32, 16));
                assign(style, "aws_access_key_id", "AWS_ACCESS_KEY_ID", v)
            }
            SecretKind::AwsSecretAccessKey => {
                let v = rng.string_from(BASE64, 40);
                assign(style, "aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", v)
            }
            SecretKind::GithubPatClassic => {
                let v = format!("ghp_{}", rng.string_from(ALNUM, 36));
                assign(style, "github_token", "GH_TOKEN", v)
            }
            SecretKind::GithubPatFineGrained => {
                let v = format!(
                    "github_pat_{}_{}",
                    rng.string_from(ALNUM, 22),
                    rng.string_from(ALNUM, 59)
                );
                assign(style, "github_token", "GITHUB_TOKEN", v)
            }
            SecretKind::GithubOauthToken => {
                let v = format!("gho_{}", rng.string_from(ALNUM, 36));
                Planted::new("    Authorization: token ", v, "")
            }
            SecretKind::GitlabPat => {
                let v = format!("glpat-{}", rng.string_from(URLSAFE, 20));
                assign(style, "gitlab_token", "GITLAB_TOKEN", v)
            }
            SecretKind::SlackBotToken => {
                let v = format!(
                    "xoxb-{}-{}-{}",
                    rng.string_from(DIGITS, 12),
                    rng.string_from(DIGITS, 13),
                    rng.string_from(ALNUM, 24)
                );
                assign(style, "slack_bot_token", "SLACK_BOT_TOKEN", v)
            }
            SecretKind::SlackWebhookUrl => {
                let v = format!(
                    "https://hooks.slack.com/services/T{}/B{}/{}",
                    rng.string_from(UPPER_DIGITS, 8),
                    rng.string_from(UPPER_DIGITS, 10),
                    rng.string_from(ALNUM, 24)
                );
                assign(style, "slack_webhook", "SLACK_WEBHOOK_URL", v)
            }
            SecretKind::StripeSecretKey => {
                let len = 24 + rng.index(76);
                let v = format!("sk_live_{}", rng.string_from(ALNUM, len));
                assign(style, "stripe_api_key", "STRIPE_SECRET_KEY", v)
            }
            SecretKind::GcpApiKey => {
                let v = format!("AIza{}", rng.string_from(URLSAFE, 35));
                assign(style, "google_maps_key", "GOOGLE_API_KEY", v)
            }
            SecretKind::PrivateKeyRsa => pem_block(rng, "RSA PRIVATE KEY", 1190),
            SecretKind::PrivateKeyOpenssh => pem_block(rng, "OPENSSH PRIVATE KEY", 390),
            SecretKind::PostgresUriPassword => {
                let pw = rng.string_from(ALNUM, 20);
                let user = rng.pick(&["app", "svc_orders", "reporting", "admin"]);
                let prefix = format!("DATABASE_URL=postgres://{user}:");
                Planted::new(&prefix, pw, "@db.internal.example:5432/orders")
            }
            SecretKind::MysqlUriPassword => {
                let pw = rng.string_from(ALNUM, 18);
                let prefix = "    url: mysql://billing:".to_string();
                Planted::new(&prefix, pw, "@mysql.internal.example:3306/billing")
            }
            SecretKind::SendgridApiKey => {
                let v = format!(
                    "SG.{}.{}",
                    rng.string_from(URLSAFE, 22),
                    rng.string_from(URLSAFE, 43)
                );
                assign(style, "sendgrid_api_key", "SENDGRID_API_KEY", v)
            }
            SecretKind::TwilioApiKey => {
                let v = format!("SK{}", rng.string_from(HEX, 32));
                assign(style, "twilio_api_key", "TWILIO_API_KEY", v)
            }
            SecretKind::NpmAccessToken => {
                let v = format!("npm_{}", rng.string_from(ALNUM, 36));
                Planted::new("//registry.npmjs.org/:_authToken=", v, "")
            }
            SecretKind::PypiUploadToken => {
                let v = format!("pypi-AgEIcHlwaS5vcmc{}", rng.string_from(URLSAFE, 70));
                Planted::new("password = ", v, "")
            }
            SecretKind::OpenaiApiKey => {
                let v = format!(
                    "sk-{}T3BlbkFJ{}",
                    rng.string_from(ALNUM, 20),
                    rng.string_from(ALNUM, 20)
                );
                assign(style, "openai_api_key", "OPENAI_API_KEY", v)
            }
            SecretKind::AnthropicApiKey => {
                let v = format!("sk-ant-api03-{}AA", rng.string_from(URLSAFE, 93));
                assign(style, "anthropic_api_key", "ANTHROPIC_API_KEY", v)
            }
            SecretKind::HuggingfaceToken => {
                let v = format!("hf_{}", rng.string_from(ALPHA, 34));
                assign(style, "hf_token", "HF_TOKEN", v)
            }
            SecretKind::DiscordWebhookUrl => {
                let v = format!(
                    "https://discord.com/api/webhooks/{}/{}",
                    rng.string_from(DIGITS, 18),
                    rng.string_from(URLSAFE, 68)
                );
                assign(style, "discord_webhook", "DISCORD_WEBHOOK_URL", v)
            }
            SecretKind::TelegramBotToken => {
                let v = format!(
                    "{}:AA{}",
                    rng.string_from(DIGITS, 10),
                    rng.string_from(URLSAFE, 33)
                );
                assign(style, "telegram_bot_token", "TELEGRAM_BOT_TOKEN", v)
            }
            SecretKind::MailgunApiKey => {
                let v = format!("key-{}", rng.string_from(HEX, 32));
                assign(style, "mailgun_api_key", "MAILGUN_API_KEY", v)
            }
            SecretKind::Jwt => {
                let len = 40 + rng.index(40);
                let v = format!(
                    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ{}.{}",
                    rng.string_from(URLSAFE, len),
                    rng.string_from(URLSAFE, 43)
                );
                Planted::new("    headers[\"Authorization\"] = \"Bearer ", v, "\"")
            }
            SecretKind::ShopifyAccessToken => {
                let v = format!("shpat_{}", rng.string_from(HEX, 32));
                assign(style, "shopify_access_token", "SHOPIFY_ACCESS_TOKEN", v)
            }
            SecretKind::DigitaloceanPat => {
                let v = format!("dop_v1_{}", rng.string_from(HEX, 64));
                assign(style, "digitalocean_token", "DIGITALOCEAN_TOKEN", v)
            }
            SecretKind::AzureStorageAccountKey => {
                let v = format!("{}==", rng.string_from(BASE64, 86));
                let prefix = "AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName=ordersdata;AccountKey=";
                Planted::new(prefix, v, ";EndpointSuffix=core.windows.net")
            }
            SecretKind::GenericPasswordAssignment => {
                let len = 20 + rng.index(12);
                let v = rng.string_from(PASSWORD, len);
                match style {
                    0 => Planted::new("password = \"", v, "\""),
                    1 => Planted::new("    db_password: \"", v, "\""),
                    _ => Planted::new("SMTP_PASSWORD=\"", v, "\""),
                }
            }
        }
    }
}

/// Three common ways a credential is assigned: a TOML/INI key, a shell
/// export, and a JSON member.
fn assign(style: u64, lower: &str, upper: &str, v: String) -> Planted {
    match style {
        0 => Planted::new(&format!("{lower} = \""), v, "\""),
        1 => Planted::new(&format!("export {upper}="), v, ""),
        _ => Planted::new(&format!("    \"{lower}\": \""), v, "\","),
    }
}

/// A PEM block with `body_len` bytes of base64 body in 64-column lines. The
/// secret is the whole block, markers included, without the final newline.
fn pem_block(rng: &mut Rng, label: &str, body_len: usize) -> Planted {
    let body = rng.string_from(BASE64, body_len);
    let mut v = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        v.push_str(std::str::from_utf8(line).unwrap_or_default());
        v.push('\n');
    }
    v.push_str(&format!("-----END {label}-----"));
    Planted::new("", v, "")
}

closed_enum! {
    /// Near-miss values that a correct rule set must not report.
    DecoyKind {
        AwsPlaceholder => "aws-placeholder",
        AwsWrongLength => "aws-wrong-length",
        GithubWrongLength => "github-wrong-length",
        GithubWrongCharset => "github-wrong-charset",
        GitlabWrongLength => "gitlab-wrong-length",
        StripePlaceholder => "stripe-placeholder",
        GcpWrongLength => "gcp-wrong-length",
        PasswordLowEntropy => "password-low-entropy",
        PasswordVariable => "password-variable",
        PublicKey => "public-key",
        PrivateKeyElided => "private-key-elided",
        PostgresNoPassword => "postgres-no-password",
        PostgresVariablePassword => "postgres-variable-password",
        SlackTruncated => "slack-truncated",
        JwtTwoParts => "jwt-two-parts",
        HuggingfaceWrongLength => "huggingface-wrong-length",
    }
}

impl DecoyKind {
    /// A fresh decoy of this kind, as planted text.
    pub fn generate(self, rng: &mut Rng) -> Planted {
        match self {
            DecoyKind::AwsPlaceholder => Planted::new(
                "aws_access_key_id = \"",
                "AKIAXXXXXXXXXXXXXXXX".to_string(),
                "\"  # replace with your key",
            ),
            DecoyKind::AwsWrongLength => Planted::new(
                "aws_access_key_id = \"",
                format!("AKIA{}", rng.string_from(BASE32, 15)),
                "\"",
            ),
            DecoyKind::GithubWrongLength => Planted::new(
                "export GH_TOKEN=",
                format!("ghp_{}", rng.string_from(ALNUM, 35)),
                "",
            ),
            DecoyKind::GithubWrongCharset => Planted::new(
                "export GH_TOKEN=",
                format!(
                    "ghp_{}-{}",
                    rng.string_from(ALNUM, 17),
                    rng.string_from(ALNUM, 18)
                ),
                "",
            ),
            DecoyKind::GitlabWrongLength => Planted::new(
                "gitlab_token = \"",
                format!("glpat-{}", rng.string_from(ALNUM, 19)),
                "\"",
            ),
            DecoyKind::StripePlaceholder => Planted::new(
                "STRIPE_SECRET_KEY=",
                "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx".to_string(),
                "",
            ),
            DecoyKind::GcpWrongLength => Planted::new(
                "GOOGLE_API_KEY=",
                format!("AIza{}", rng.string_from(ALNUM, 30)),
                "",
            ),
            DecoyKind::PasswordLowEntropy => {
                let v = rng.pick(&[
                    "changeme",
                    "password123",
                    "aaaaaaaaaaaaaaaa",
                    "hunter2hunter2",
                ]);
                Planted::new("password = \"", (*v).to_string(), "\"")
            }
            DecoyKind::PasswordVariable => {
                Planted::new("password = \"", "${DB_PASSWORD}".to_string(), "\"")
            }
            DecoyKind::PublicKey => {
                let mut p = pem_block(rng, "PUBLIC KEY", 392);
                p.value = p.text.trim_end().to_string();
                p
            }
            DecoyKind::PrivateKeyElided => Planted::new(
                "",
                "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----".to_string(),
                "",
            ),
            DecoyKind::PostgresNoPassword => Planted::new(
                "DATABASE_URL=",
                "postgres://app@localhost:5432/orders".to_string(),
                "",
            ),
            DecoyKind::PostgresVariablePassword => Planted::new(
                "DATABASE_URL=",
                "postgres://app:${PGPASSWORD}@localhost:5432/orders".to_string(),
                "",
            ),
            DecoyKind::SlackTruncated => Planted::new(
                "SLACK_BOT_TOKEN=",
                format!("xoxb-{}", rng.string_from(DIGITS, 8)),
                "",
            ),
            DecoyKind::JwtTwoParts => Planted::new(
                "token_example = \"",
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJleGFtcGxlIn0".to_string(),
                "\"",
            ),
            DecoyKind::HuggingfaceWrongLength => Planted::new(
                "HF_TOKEN=",
                format!("hf_{}", rng.string_from(UPPER, 20)),
                "",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_occurs_once_at_offset() {
        let mut rng = Rng::new(1);
        for &kind in SecretKind::all() {
            for _ in 0..50 {
                let p = kind.generate(&mut rng);
                assert_eq!(
                    &p.text[p.offset..p.offset + p.value.len()],
                    p.value,
                    "{kind:?}"
                );
                assert_eq!(p.text.matches(&p.value).count(), 1, "{kind:?}");
                assert!(p.text.ends_with('\n') && !p.text.contains('\0'));
            }
        }
    }

    #[test]
    fn decoys_render_and_ids_round_trip() {
        let mut rng = Rng::new(2);
        for &kind in DecoyKind::all() {
            let p = kind.generate(&mut rng);
            assert_eq!(&p.text[p.offset..p.offset + p.value.len()], p.value);
            assert_eq!(DecoyKind::from_id(kind.id()), Some(kind));
        }
        for &kind in SecretKind::all() {
            assert_eq!(SecretKind::from_id(kind.id()), Some(kind));
        }
        assert!(SecretKind::all().len() >= 20);
    }

    #[test]
    fn fingerprint_is_sha256_hex() {
        assert_eq!(
            fingerprint(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
