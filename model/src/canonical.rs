//! Canonical JSON as Athenz signs it: the exact bytes over which ZMS computes the ybase64
//! signatures of `SignedDomain.domain`, `SignedPolicies.contents` and ZTS's signed policy data.
//!
//! Wire facts, from Athenz `libs/java/client_common/src/main/java/com/yahoo/athenz/common/utils/SignUtils.java`
//! (`asCanonicalString`) and the Go `utils/zpe-updater/util/canonicalstring.go`:
//! - object members are written in sorted key order (`Struct.sortedNames()`, i.e. Java
//!   `String.compareTo`: UTF-16 code-unit order, which this module reproduces);
//! - no whitespace at all between tokens;
//! - arrays keep their order;
//! - a member whose value is null (absent) is omitted (`appendObject` returns early on null),
//!   while an empty array or object is written as `[]` / `{}`.
//!
//! What this module does NOT decide: *which* fields are signed. `SignUtils` builds the signed
//! object from a fixed list of fields per type (e.g. a role signs `auditEnabled`, `members`,
//! `roleMembers`, … but not `tags`), and has per-field rules for empty lists (policy
//! `assertions` and domain `groups` are dropped when empty, `roles`/`services`/`publicKeys`
//! are always written). Callers must serialize a "signable" projection struct holding exactly
//! those fields, with `Option`/`skip_serializing_if` expressing the empty-list rules.
//!
//! Strings are escaped as `serde_json` does (`"` `\` and control characters). Java's
//! `asCanonicalString` writes strings raw, so the two only differ for strings containing those
//! characters, which Athenz names cannot contain.

use serde::Serialize;
use serde_json::Value;

/// Serializes `value` to Athenz canonical JSON: keys sorted, no whitespace, null members
/// dropped at every depth, empty arrays/objects kept.
///
/// Null *array elements* are kept as `null`: they are positions, not absent fields, and
/// dropping them would change the array. A top-level null serializes as `null`.
pub fn to_canonical_string<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let value = serde_json::to_value(value)?;
    let mut out = String::new();
    write_value(&value, &mut out)?;
    Ok(out)
}

/// Java's `String.compareTo` order (UTF-16 code units). It equals Rust's byte order for every
/// string whose characters are all below U+E000 or all in the BMP, but differs for
/// supplementary characters versus U+E000..U+FFFF; matching Java keeps signatures verifiable
/// by Java ZTS/ZPE whatever the keys are.
fn java_string_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn write_value(value: &Value, out: &mut String) -> Result<(), serde_json::Error> {
    match value {
        Value::Object(map) => {
            // Sort explicitly: serde_json's Map is a BTreeMap only while its `preserve_order`
            // feature is off, and any crate in the build can turn that feature on.
            let mut members: Vec<(&String, &Value)> =
                map.iter().filter(|(_, member)| !member.is_null()).collect();
            members.sort_by(|(a, _), (b, _)| java_string_order(a, b));
            out.push('{');
            for (index, (key, member)) in members.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(key)?);
                out.push(':');
                write_value(member, out)?;
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_value(item, out)?;
            }
            out.push(']');
        }
        // Scalars (null, bool, number, string): serde_json's own compact form.
        scalar => out.push_str(&serde_json::to_string(scalar)?),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;
    use std::collections::{BTreeMap, HashMap};

    #[derive(Serialize)]
    struct Member {
        #[serde(rename = "memberName")]
        member_name: String,
        expiration: Option<String>,
    }

    #[derive(Serialize)]
    struct Role {
        name: String,
        modified: Option<String>,
        #[serde(rename = "roleMembers")]
        role_members: Vec<Member>,
        #[serde(rename = "auditEnabled")]
        audit_enabled: Option<bool>,
        members: Vec<String>,
        trust: Option<String>,
        #[serde(rename = "tokenExpiryMins")]
        token_expiry_mins: Option<i32>,
    }

    #[test]
    fn sorts_keys_and_has_no_whitespace() {
        let v =
            json!({"name": "athenz", "b": 1, "a": true, "modified": "2024-01-01T00:00:00.000Z"});
        assert_eq!(
            to_canonical_string(&v).unwrap(),
            r#"{"a":true,"b":1,"modified":"2024-01-01T00:00:00.000Z","name":"athenz"}"#
        );
    }

    #[test]
    fn struct_fields_are_sorted_not_declaration_ordered() {
        let role = Role {
            name: "sports:role.admin".into(),
            modified: None,
            role_members: vec![
                Member {
                    member_name: "user.joe".into(),
                    expiration: None,
                },
                Member {
                    member_name: "user.jane".into(),
                    expiration: Some("2030-01-01T00:00:00.000Z".into()),
                },
            ],
            audit_enabled: Some(false),
            members: vec![],
            trust: None,
            token_expiry_mins: Some(30),
        };
        assert_eq!(
            to_canonical_string(&role).unwrap(),
            concat!(
                r#"{"auditEnabled":false,"members":[],"name":"sports:role.admin","#,
                r#""roleMembers":[{"memberName":"user.joe"},"#,
                r#"{"expiration":"2030-01-01T00:00:00.000Z","memberName":"user.jane"}],"#,
                r#""tokenExpiryMins":30}"#
            )
        );
    }

    #[test]
    fn nested_objects_sorted_and_nulls_dropped_at_every_depth() {
        let v = json!({
            "z": {"y": null, "b": {"d": null, "c": 2}, "a": []},
            "policies": {"contents": {"policies": [{"name": "p", "assertions": null}]}, "keyId": "0"},
            "gone": null
        });
        assert_eq!(
            to_canonical_string(&v).unwrap(),
            r#"{"policies":{"contents":{"policies":[{"name":"p"}]},"keyId":"0"},"z":{"a":[],"b":{"c":2}}}"#
        );
    }

    #[test]
    fn empty_containers_kept_and_array_nulls_kept() {
        let v = json!({"roles": [], "meta": {}, "list": [null, 1, {"x": null}]});
        assert_eq!(
            to_canonical_string(&v).unwrap(),
            r#"{"list":[null,1,{}],"meta":{},"roles":[]}"#
        );
        assert_eq!(to_canonical_string(&json!(null)).unwrap(), "null");
        assert_eq!(to_canonical_string(&json!([])).unwrap(), "[]");
    }

    #[test]
    fn scalars_print_as_serde_json_does() {
        let v = json!({"s": "a\"b\\c\n\u{1}é", "n": -12, "f": 1.5, "big": u64::MAX, "t": true});
        assert_eq!(
            to_canonical_string(&v).unwrap(),
            format!(
                r#"{{"big":{},"f":1.5,"n":-12,"s":{},"t":true}}"#,
                u64::MAX,
                serde_json::to_string("a\"b\\c\n\u{1}é").unwrap()
            )
        );
    }

    #[test]
    fn same_output_for_differently_ordered_maps() {
        let mut forward = HashMap::new();
        let mut backward = HashMap::new();
        let keys: Vec<String> = (0..50).map(|i| format!("key{i:02}")).collect();
        for (i, k) in keys.iter().enumerate() {
            forward.insert(k.clone(), i);
        }
        for (i, k) in keys.iter().enumerate().rev() {
            backward.insert(k.clone(), i);
        }
        let btree: BTreeMap<_, _> = forward.clone().into_iter().collect();
        let a = to_canonical_string(&forward).unwrap();
        assert_eq!(a, to_canonical_string(&backward).unwrap());
        assert_eq!(a, to_canonical_string(&btree).unwrap());
        assert!(a.starts_with(r#"{"key00":0,"key01":1,"#));
    }

    #[test]
    fn key_order_is_java_utf16_order() {
        // In UTF-8 byte order U+FF21 (EF BC A1) < U+1F600 (F0 9F 98 80); in UTF-16 order
        // U+1F600 (D83D DE00) < U+FF21. Java, and so this module, puts the emoji first.
        let v = json!({"\u{ff21}": 1, "\u{1f600}": 2, "a": 0});
        assert_eq!(
            to_canonical_string(&v).unwrap(),
            "{\"a\":0,\"\u{1f600}\":2,\"\u{ff21}\":1}"
        );
    }

    #[test]
    fn non_string_keys_are_an_error_not_a_panic() {
        let mut m = HashMap::new();
        m.insert(vec![1u8], 1);
        assert!(to_canonical_string(&m).is_err());
    }

    fn json_leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            "[a-z\"\\\\ é]{0,8}".prop_map(Value::String),
        ]
    }

    fn json_value() -> impl Strategy<Value = Value> {
        json_leaf().prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec(("[a-zA-Z]{1,6}", inner), 0..6)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    fn drop_null_members(v: &Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .filter(|(_, x)| !x.is_null())
                    .map(|(k, x)| (k.clone(), drop_null_members(x)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(drop_null_members).collect()),
            other => other.clone(),
        }
    }

    proptest! {
        #[test]
        fn output_is_json_equal_to_input_without_null_members(v in json_value()) {
            let text = to_canonical_string(&v).unwrap();
            let reparsed: Value = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(reparsed, drop_null_members(&v));
            // Canonical form is a fixed point.
            prop_assert_eq!(to_canonical_string(&serde_json::from_str::<Value>(&text).unwrap()).unwrap(), text.clone());
            prop_assert!(!text.contains(": ") && !text.contains(", ") && !text.contains('\n'));
        }

        #[test]
        fn insertion_order_does_not_matter(entries in proptest::collection::btree_map("[a-z]{1,5}", any::<i32>(), 0..20)) {
            let forward: HashMap<_, _> = entries.iter().collect();
            let mut reversed = HashMap::new();
            for (k, v) in entries.iter().rev() {
                reversed.insert(k, v);
            }
            prop_assert_eq!(to_canonical_string(&forward).unwrap(), to_canonical_string(&reversed).unwrap());
            prop_assert_eq!(to_canonical_string(&forward).unwrap(), serde_json::to_string(&entries).unwrap());
        }
    }
}
