//! Loading settings from layered sources, and the errors that name keys.

use super::*;
use rust_decimal::Decimal;

fn load(vars: &[(&str, &str)]) -> anyhow::Result<Settings> {
    let vars: Vec<_> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::load_from(&vars)
}

#[test]
fn defaults_need_no_configuration_outside_production() {
    let settings = load(&[]).unwrap();
    assert_eq!(settings.server.port, 8080);
    assert!(settings.demo_data());
    assert_eq!(settings.log_format(), LogFormat::Pretty);
}

#[test]
fn environment_variables_override_nested_keys() {
    let settings = load(&[
        ("APP__SERVER__PORT", "9000"),
        ("APP__DEMO_DATA", "false"),
        ("APP__PREFERRED_ITEM__WEIGHTS__NORMAL", "5"),
    ])
    .unwrap();
    assert_eq!(settings.server.port, 9000);
    assert!(!settings.demo_data());
    assert_eq!(settings.status_weights().normal, Decimal::from(5));
}

#[test]
fn production_without_a_database_names_the_key() {
    let err = load(&[("APP_ENVIRONMENT", "production")]).unwrap_err();
    assert!(err.to_string().contains("DATABASE_URL"), "{err}");
}

#[test]
fn production_defaults_to_json_logs_and_no_demo_data() {
    let settings = load(&[
        ("APP_ENVIRONMENT", "production"),
        ("DATABASE_URL", "postgres://db/catalog"),
        ("APP__AUTH__KEYS", "write:writer-key-0123456789"),
    ])
    .unwrap();
    assert_eq!(settings.log_format(), LogFormat::Json);
    assert!(!settings.demo_data());
}

#[test]
fn a_bad_value_names_its_key() {
    let err = load(&[("APP__SERVER__PORT", "eighty")]).unwrap_err();
    assert!(err.to_string().contains("server.port"), "{err}");
}

#[test]
fn production_refuses_open_writes_unless_told_on_purpose() {
    let base = [
        ("APP_ENVIRONMENT", "production"),
        ("DATABASE_URL", "postgres://u@db.internal/catalog"),
        ("APP__AUTH__MODE", "off"),
    ];
    let err = load(&base).unwrap_err();
    assert!(err.to_string().contains("auth.mode"), "{err}");
    let mut on_purpose = base.to_vec();
    on_purpose.push(("APP__AUTH__ALLOW_OFF_IN_PRODUCTION", "true"));
    assert!(load(&on_purpose).is_ok());
}

#[test]
fn token_leeway_and_cooldown_are_bounded() {
    let issuer = [
        ("APP__AUTH__JWT__ISSUER", "https://issuer.example"),
        ("APP__AUTH__JWT__AUDIENCE", "api"),
    ];
    let with = |extra: (&'static str, &'static str)| {
        let mut vars = issuer.to_vec();
        vars.push(extra);
        load(&vars)
    };
    let err = with(("APP__AUTH__JWT__LEEWAY_SECS", "301")).unwrap_err();
    assert!(err.to_string().contains("auth.jwt.leeway_secs"), "{err}");
    let err = with(("APP__AUTH__JWT__REFRESH_COOLDOWN_SECS", "0")).unwrap_err();
    assert!(
        err.to_string().contains("auth.jwt.refresh_cooldown_secs"),
        "{err}"
    );
    let err = with(("APP__AUTH__JWT__REFRESH_COOLDOWN_SECS", "3601")).unwrap_err();
    assert!(
        err.to_string().contains("auth.jwt.refresh_cooldown_secs"),
        "{err}"
    );
    with(("APP__AUTH__JWT__LEEWAY_SECS", "300")).unwrap();
}

#[test]
fn a_negative_weight_is_refused() {
    let err = load(&[("APP__PREFERRED_ITEM__WEIGHTS__NOVELTY", "-1")]).unwrap_err();
    assert!(err.to_string().contains("weights.novelty"), "{err}");
}

#[test]
fn keys_come_as_a_comma_separated_list() {
    let settings = load(&[(
        "APP__AUTH__KEYS",
        "read:reader-key-0123456789,write:writer-key-0123456789",
    )])
    .unwrap();
    let printed = format!("{:?}", settings.auth);
    assert!(printed.contains("KeyRing(2 keys)"), "{printed}");
    assert!(!printed.contains("reader-key"), "{printed}");
}

#[test]
fn production_with_auth_on_needs_a_key() {
    let base = [
        ("APP_ENVIRONMENT", "production"),
        ("DATABASE_URL", "postgres://db/catalog"),
    ];
    let err = load(&base).unwrap_err();
    assert!(err.to_string().contains("auth.keys"), "{err}");
    let mut off = base.to_vec();
    off.push(("APP__AUTH__MODE", "off"));
    off.push(("APP__AUTH__ALLOW_OFF_IN_PRODUCTION", "true"));
    assert!(load(&off).is_ok());
}

#[test]
fn an_unknown_environment_is_refused() {
    let err = load(&[("APP_ENVIRONMENT", "staging")]).unwrap_err();
    assert!(err.to_string().contains("APP_ENVIRONMENT"), "{err}");
}

#[test]
fn jwt_is_off_without_an_issuer_and_needs_an_audience_with_one() {
    assert!(load(&[]).unwrap().jwt_config().unwrap().is_none());
    let err = load(&[("APP__AUTH__JWT__ISSUER", "https://idp.example/pool")]).unwrap_err();
    assert!(err.to_string().contains("auth.jwt.audience"), "{err}");
    let settings = load(&[
        ("APP__AUTH__JWT__ISSUER", "https://idp.example/pool"),
        ("APP__AUTH__JWT__AUDIENCE", "web,mobile"),
        ("APP__AUTH__JWT__GROUPS", "editors=write,viewers=read"),
    ])
    .unwrap();
    let (config, source, _) = settings.jwt_config().unwrap().unwrap();
    assert_eq!(config.audiences, ["web", "mobile"]);
    assert_eq!(config.read_scope, "preferred-item/read");
    assert_eq!(config.groups.len(), 2);
    assert!(matches!(source, crate::auth::JwksSource::Discovery(_)));
}

#[test]
fn key_urls_must_be_https_except_on_loopback_outside_production() {
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut vars = vec![
            ("APP__AUTH__JWT__ISSUER", "https://idp.example/pool"),
            ("APP__AUTH__JWT__AUDIENCE", "web"),
        ];
        vars.extend_from_slice(extra);
        load(&vars)
    };
    let err = with(&[("APP__AUTH__JWT__JWKS_URL", "http://idp.example/jwks")]).unwrap_err();
    assert!(err.to_string().contains("auth.jwt.jwks_url"), "{err}");
    assert!(with(&[("APP__AUTH__JWT__JWKS_URL", "http://127.0.0.1:9000/jwks")]).is_ok());
    let err = with(&[
        ("APP__AUTH__JWT__JWKS_URL", "http://127.0.0.1:9000/jwks"),
        ("APP_ENVIRONMENT", "production"),
        ("DATABASE_URL", "postgres://db/catalog"),
    ])
    .unwrap_err();
    assert!(err.to_string().contains("auth.jwt.jwks_url"), "{err}");
    let err = with(&[("APP__AUTH__JWT__GROUPS", "editors=admin")]).unwrap_err();
    assert!(err.to_string().contains("auth.jwt.groups[0]"), "{err}");
}
