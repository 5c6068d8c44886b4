//! SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2), parsed and
//! evaluated over resources held as JSON.
//!
//! Attribute names are matched without regard to case, as RFC 7643 §2.1
//! requires. String comparisons ignore case too, except on `id` and
//! `externalId`, which are `caseExact`.

use serde_json::Value;

use crate::error::ScimError;

/// An attribute path: an optional schema URN, a name and an optional
/// sub-attribute (`name.givenName`,
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URN the attribute belongs to, for an extension attribute.
    pub urn: Option<String>,
    /// The attribute's name.
    pub name: String,
    /// The sub-attribute, if any.
    pub sub: Option<String>,
}

impl AttrPath {
    /// Parses `[URN ":"]name["." sub]`.
    pub fn parse(text: &str) -> Result<AttrPath, String> {
        let text = text.trim();
        let (urn, rest) = if text.to_ascii_lowercase().starts_with("urn:") {
            match text.rfind(':') {
                Some(at) => (Some(text[..at].to_owned()), &text[at + 1..]),
                None => return Err(format!("{text:?} is not an attribute path")),
            }
        } else {
            (None, text)
        };
        let (name, sub) = match rest.split_once('.') {
            Some((name, sub)) => (name, Some(sub)),
            None => (rest, None),
        };
        let valid = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '$')
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$')
        };
        if !valid(name) || sub.is_some_and(|s| !valid(s)) {
            return Err(format!("{text:?} is not an attribute path"));
        }
        Ok(AttrPath {
            urn,
            name: name.to_owned(),
            sub: sub.map(str::to_owned),
        })
    }

    /// The values this path selects in `resource` (each element of a
    /// multi-valued attribute separately).
    pub fn values<'a>(&self, resource: &'a Value) -> Vec<&'a Value> {
        let container = match &self.urn {
            Some(urn) => match get_ci(resource, urn) {
                Some(ext) => ext,
                // A core attribute may be written with its schema URN.
                None if is_core_urn(urn) => resource,
                None => return Vec::new(),
            },
            None => resource,
        };
        let Some(value) = get_ci(container, &self.name) else {
            return Vec::new();
        };
        let items: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        match &self.sub {
            None => items,
            Some(sub) => items
                .into_iter()
                .filter_map(|item| get_ci(item, sub))
                .flat_map(|v| match v {
                    Value::Array(items) => items.iter().collect::<Vec<_>>(),
                    other => vec![other],
                })
                .collect(),
        }
    }

    fn is_case_exact(&self) -> bool {
        self.sub.is_none()
            && (self.name.eq_ignore_ascii_case("id")
                || self.name.eq_ignore_ascii_case("externalId"))
    }
}

/// Whether `urn` is one of the core schemas, whose attributes live at the
/// top level of a resource.
pub fn is_core_urn(urn: &str) -> bool {
    urn.eq_ignore_ascii_case(crate::resource::USER_SCHEMA)
        || urn.eq_ignore_ascii_case(crate::resource::GROUP_SCHEMA)
}

/// The member of `object` named `key`, ignoring case.
pub fn get_ci<'a>(object: &'a Value, key: &str) -> Option<&'a Value> {
    object
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Contains.
    Co,
    /// Starts with.
    Sw,
    /// Ends with.
    Ew,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
}

impl CompareOp {
    fn parse(word: &str) -> Option<CompareOp> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            _ => return None,
        })
    }
}

/// A parsed filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attr op value`.
    Compare(AttrPath, CompareOp, Value),
    /// `attr pr`.
    Present(AttrPath),
    /// `a and b`.
    And(Box<Filter>, Box<Filter>),
    /// `a or b`.
    Or(Box<Filter>, Box<Filter>),
    /// `not (a)`.
    Not(Box<Filter>),
    /// `attr[filter]`: some element of the multi-valued `attr` matches.
    ValuePath(AttrPath, Box<Filter>),
}

impl Filter {
    /// Parses a filter; the error is `invalidFilter`.
    pub fn parse(text: &str) -> Result<Filter, ScimError> {
        let tokens = tokenize(text).map_err(ScimError::invalid_filter)?;
        let mut parser = Parser::new(tokens);
        let filter = parser.or().map_err(ScimError::invalid_filter)?;
        if parser.at != parser.tokens.len() {
            return Err(ScimError::invalid_filter(format!(
                "unexpected {} in the filter",
                parser.tokens[parser.at].describe()
            )));
        }
        Ok(filter)
    }

    /// Whether `resource` matches.
    pub fn matches(&self, resource: &Value) -> bool {
        match self {
            Filter::And(a, b) => a.matches(resource) && b.matches(resource),
            Filter::Or(a, b) => a.matches(resource) || b.matches(resource),
            Filter::Not(a) => !a.matches(resource),
            Filter::Present(path) => path.values(resource).iter().any(|v| is_present(v)),
            Filter::Compare(path, op, expected) => {
                let values = path.values(resource);
                if *op == CompareOp::Ne {
                    return !values
                        .iter()
                        .any(|v| compare(v, CompareOp::Eq, expected, path.is_case_exact()));
                }
                values
                    .iter()
                    .any(|v| compare(v, *op, expected, path.is_case_exact()))
            }
            Filter::ValuePath(path, inner) => {
                let whole = AttrPath {
                    sub: None,
                    ..path.clone()
                };
                whole
                    .values(resource)
                    .iter()
                    .any(|item| inner.matches(item))
            }
        }
    }

    /// The attribute and value of a filter that is one `eq` comparison
    /// (`userName eq "x"`), which the store answers from an index.
    pub fn as_equality(&self) -> Option<(&AttrPath, &str)> {
        match self {
            Filter::Compare(path, CompareOp::Eq, Value::String(value)) if path.urn.is_none() => {
                Some((path, value))
            }
            _ => None,
        }
    }
}

fn is_present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
        _ => true,
    }
}

fn compare(actual: &Value, op: CompareOp, expected: &Value, case_exact: bool) -> bool {
    use std::cmp::Ordering;
    match (actual, expected) {
        (Value::String(a), Value::String(e)) => {
            let (a, e) = if case_exact {
                (a.clone(), e.clone())
            } else {
                (a.to_lowercase(), e.to_lowercase())
            };
            match op {
                CompareOp::Eq => a == e,
                CompareOp::Ne => a != e,
                CompareOp::Co => a.contains(&e),
                CompareOp::Sw => a.starts_with(&e),
                CompareOp::Ew => a.ends_with(&e),
                CompareOp::Gt => a > e,
                CompareOp::Ge => a >= e,
                CompareOp::Lt => a < e,
                CompareOp::Le => a <= e,
            }
        }
        // Entra ID may hold booleans as strings; compare them as booleans.
        (Value::String(a), Value::Bool(e)) | (Value::Bool(e), Value::String(a)) => {
            crate::resource::parse_bool(a).is_some_and(|a| matches!(op, CompareOp::Eq) && a == *e)
        }
        (Value::Bool(a), Value::Bool(e)) => match op {
            CompareOp::Eq => a == e,
            CompareOp::Ne => a != e,
            _ => false,
        },
        (Value::Number(a), Value::Number(e)) => {
            let (Some(a), Some(e)) = (a.as_f64(), e.as_f64()) else {
                return false;
            };
            let ordering = a.partial_cmp(&e);
            match op {
                CompareOp::Eq => ordering == Some(Ordering::Equal),
                CompareOp::Ne => ordering != Some(Ordering::Equal),
                CompareOp::Gt => ordering == Some(Ordering::Greater),
                CompareOp::Ge => matches!(ordering, Some(Ordering::Greater | Ordering::Equal)),
                CompareOp::Lt => ordering == Some(Ordering::Less),
                CompareOp::Le => matches!(ordering, Some(Ordering::Less | Ordering::Equal)),
                _ => false,
            }
        }
        (actual, Value::Null) => matches!(op, CompareOp::Eq) && actual.is_null(),
        _ => false,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Value(Value),
    Open,
    Close,
    OpenBracket,
    CloseBracket,
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Word(w) => format!("{w:?}"),
            Token::Value(v) => v.to_string(),
            Token::Open => "\"(\"".to_owned(),
            Token::Close => "\")\"".to_owned(),
            Token::OpenBracket => "\"[\"".to_owned(),
            Token::CloseBracket => "\"]\"".to_owned(),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            '[' => {
                tokens.push(Token::OpenBracket);
                i += 1;
            }
            ']' => {
                tokens.push(Token::CloseBracket);
                i += 1;
            }
            '"' => {
                // A JSON string: find its end, honouring escapes.
                let start = i;
                i += 1;
                let mut closed = false;
                while i < chars.len() {
                    match chars[i] {
                        '\\' => i += 2,
                        '"' => {
                            closed = true;
                            i += 1;
                            break;
                        }
                        _ => i += 1,
                    }
                }
                if !closed {
                    return Err("a string in the filter is not closed".to_owned());
                }
                let literal: String = chars[start..i.min(chars.len())].iter().collect();
                let value: Value = serde_json::from_str(&literal)
                    .map_err(|_| format!("{literal} is not a valid string"))?;
                tokens.push(Token::Value(value));
            }
            _ => {
                let start = i;
                while i < chars.len()
                    && !matches!(
                        chars[i],
                        ' ' | '\t' | '\n' | '\r' | '(' | ')' | '[' | ']' | '"'
                    )
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                tokens.push(Token::Word(word));
            }
        }
    }
    if tokens.is_empty() {
        return Err("the filter is empty".to_owned());
    }
    Ok(tokens)
}

/// How deeply `(` groups and `[` value paths may nest. The parser recurses per
/// level, so without a bound a few KB of `((((` would overflow a worker's stack
/// and abort the process; no IdP nests anywhere near this deep.
pub const MAX_FILTER_DEPTH: usize = 50;

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn new(tokens: Vec<Token>) -> Parser {
        Parser {
            tokens,
            at: 0,
            depth: 0,
        }
    }

    /// Enters one nesting level, refusing past [`MAX_FILTER_DEPTH`].
    fn descend(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_FILTER_DEPTH {
            return Err(format!(
                "the filter nests deeper than {MAX_FILTER_DEPTH} levels"
            ));
        }
        Ok(())
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn peek_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn or(&mut self) -> Result<Filter, String> {
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.at += 1;
            let right = self.and()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut left = self.factor()?;
        while self.peek_word("and") {
            self.at += 1;
            let right = self.factor()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn factor(&mut self) -> Result<Filter, String> {
        if self.peek_word("not") && matches!(self.tokens.get(self.at + 1), Some(Token::Open)) {
            self.at += 1;
            return Ok(Filter::Not(Box::new(self.group()?)));
        }
        if matches!(self.peek(), Some(Token::Open)) {
            return self.group();
        }
        let path = match self.next() {
            Some(Token::Word(word)) => AttrPath::parse(&word)?,
            Some(other) => {
                return Err(format!("expected an attribute, found {}", other.describe()));
            }
            None => return Err("the filter ends where an attribute was expected".to_owned()),
        };
        if matches!(self.peek(), Some(Token::OpenBracket)) {
            self.at += 1;
            self.descend()?;
            let inner = self.or()?;
            self.depth -= 1;
            match self.next() {
                Some(Token::CloseBracket) => {}
                _ => return Err("a \"[\" in the filter is not closed".to_owned()),
            }
            return Ok(Filter::ValuePath(path, Box::new(inner)));
        }
        let op = match self.next() {
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("pr") => {
                return Ok(Filter::Present(path));
            }
            Some(Token::Word(word)) => CompareOp::parse(&word)
                .ok_or_else(|| format!("{word:?} is not a filter operator"))?,
            Some(other) => return Err(format!("expected an operator, found {}", other.describe())),
            None => return Err("the filter ends where an operator was expected".to_owned()),
        };
        let value = match self.next() {
            Some(Token::Value(value)) => value,
            Some(Token::Word(word)) => match word.to_ascii_lowercase().as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                _ => serde_json::from_str::<serde_json::Number>(&word)
                    .map(Value::Number)
                    .map_err(|_| format!("{word:?} is not a comparison value"))?,
            },
            Some(other) => return Err(format!("expected a value, found {}", other.describe())),
            None => return Err("the filter ends where a value was expected".to_owned()),
        };
        Ok(Filter::Compare(path, op, value))
    }

    fn group(&mut self) -> Result<Filter, String> {
        match self.next() {
            Some(Token::Open) => {}
            _ => return Err("expected \"(\"".to_owned()),
        }
        self.descend()?;
        let inner = self.or()?;
        self.depth -= 1;
        match self.next() {
            Some(Token::Close) => Ok(inner),
            _ => Err("a \"(\" in the filter is not closed".to_owned()),
        }
    }
}

/// A PATCH operation's `path` (RFC 7644 §3.5.2): an attribute, optionally
/// narrowed by a value filter, optionally followed by a sub-attribute
/// (`emails[type eq "work"].value`, `members[value eq "2819c223"]`).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// The attribute (with its sub-attribute when there is no filter).
    pub attr: AttrPath,
    /// The value filter inside `[...]`.
    pub filter: Option<Filter>,
    /// The sub-attribute after `]`.
    pub sub_after_filter: Option<String>,
}

impl PatchPath {
    /// Parses a PATCH path; the error is `invalidPath`.
    pub fn parse(text: &str) -> Result<PatchPath, ScimError> {
        let text = text.trim();
        let invalid = || ScimError::invalid_path(format!("{text:?} is not a valid PATCH path"));
        match text.find('[') {
            None => Ok(PatchPath {
                attr: AttrPath::parse(text).map_err(|_| invalid())?,
                filter: None,
                sub_after_filter: None,
            }),
            Some(open) => {
                let close = text.rfind(']').ok_or_else(invalid)?;
                if close < open {
                    return Err(invalid());
                }
                let attr = AttrPath::parse(&text[..open]).map_err(|_| invalid())?;
                if attr.sub.is_some() {
                    return Err(invalid());
                }
                let filter = Filter::parse(&text[open + 1..close])
                    .map_err(|err| ScimError::invalid_path(err.detail))?;
                let rest = &text[close + 1..];
                let sub_after_filter = match rest.strip_prefix('.') {
                    Some(sub)
                        if AttrPath::parse(sub)
                            .is_ok_and(|p| p.sub.is_none() && p.urn.is_none()) =>
                    {
                        Some(sub.to_owned())
                    }
                    None if rest.is_empty() => None,
                    _ => return Err(invalid()),
                };
                Ok(PatchPath {
                    attr,
                    filter: Some(filter),
                    sub_after_filter,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ada() -> Value {
        json!({
            "id": "A1",
            "externalId": "ext-1",
            "userName": "Ada@Example.com",
            "displayName": "Ada Lovelace",
            "active": true,
            "name": {"givenName": "Ada"},
            "emails": [
                {"value": "ada@example.com", "type": "work", "primary": true},
                {"value": "ada@home.example", "type": "home"}
            ],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "42"}
        })
    }

    fn m(filter: &str) -> bool {
        Filter::parse(filter).expect(filter).matches(&ada())
    }

    #[test]
    fn operators_on_the_attributes_idps_filter_by() {
        assert!(
            m(r#"userName eq "ada@example.com""#),
            "userName is not caseExact"
        );
        assert!(!m(r#"userName eq "bob@example.com""#));
        assert!(m(r#"externalId eq "ext-1""#));
        assert!(!m(r#"externalId eq "EXT-1""#), "externalId is caseExact");
        assert!(m(r#"id eq "A1""#));
        assert!(!m(r#"id eq "a1""#));
        assert!(m(r#"emails.value eq "ada@home.example""#));
        assert!(m(r#"displayName co "love""#));
        assert!(m(r#"displayName sw "ADA""#));
        assert!(m(r#"userName ew "example.com""#));
        assert!(!m("title pr"));
        assert!(m("displayName pr"));
        assert!(m(r#"userName ne "bob@example.com""#));
        assert!(m(r#"name.givenName eq "ada""#));
        assert!(m("active eq true"));
        assert!(!m("active eq false"));
        assert!(m(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "42""#
        ));
        assert!(m(
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "ada@example.com""#
        ));
    }

    #[test]
    fn logic_grouping_precedence_and_value_paths() {
        assert!(m(r#"userName eq "x" or displayName eq "Ada Lovelace""#));
        assert!(!m(r#"userName eq "x" and displayName eq "Ada Lovelace""#));
        // and binds tighter than or.
        assert!(m(r#"userName eq "x" and id eq "nope" or id eq "A1""#));
        assert!(!m(r#"userName eq "x" and (id eq "nope" or id eq "A1")"#));
        assert!(m(r#"not (userName eq "x")"#));
        assert!(m(r#"emails[type eq "work" and value co "@example.com"]"#));
        assert!(!m(r#"emails[type eq "home" and value co "@example.com"]"#));
        assert!(
            m(r#"USERNAME EQ "ada@example.com" AND ACTIVE EQ TRUE"#),
            "keywords and names ignore case"
        );
    }

    #[test]
    fn entra_string_booleans_compare_as_booleans() {
        let user = json!({"active": "False"});
        assert!(
            Filter::parse("active eq false")
                .expect("parse")
                .matches(&user)
        );
    }

    #[test]
    fn escaped_quotes_inside_values() {
        let user = json!({"displayName": "Ada \"the first\""});
        assert!(
            Filter::parse(r#"displayName eq "Ada \"the first\"""#)
                .expect("parse")
                .matches(&user)
        );
    }

    #[test]
    fn invalid_filters_are_refused_as_invalid_filter() {
        for bad in [
            "",
            "userName",
            "userName eq",
            r#"userName xx "a""#,
            r#"userName eq "open"#,
            r#"(userName eq "a""#,
            r#"userName eq "a" and"#,
            r#"emails[type eq "work""#,
            r#"userName eq "a" )"#,
            "userName eq bareword",
            r#"1abc eq "a""#,
        ] {
            let err = Filter::parse(bad).expect_err(bad);
            assert_eq!(err.status, 400, "{bad}");
            assert_eq!(
                err.scim_type,
                Some(crate::error::ScimType::InvalidFilter),
                "{bad}"
            );
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let nested = |levels: usize| {
            format!(
                "{}userName eq \"a\"{}",
                "(".repeat(levels),
                ")".repeat(levels)
            )
        };
        assert!(Filter::parse(&nested(MAX_FILTER_DEPTH)).is_ok());
        let err = Filter::parse(&nested(MAX_FILTER_DEPTH + 1)).expect_err("too deep");
        assert_eq!(err.scim_type, Some(crate::error::ScimType::InvalidFilter));
        // Deep enough to overflow the stack without the limit.
        let err = Filter::parse(&nested(100_000)).expect_err("too deep");
        assert_eq!(err.scim_type, Some(crate::error::ScimType::InvalidFilter));
        let brackets = format!(
            "{}value eq \"x\"{}",
            "emails[".repeat(100_000),
            "]".repeat(100_000)
        );
        let err = PatchPath::parse(&brackets).expect_err("too deep");
        assert_eq!(err.scim_type, Some(crate::error::ScimType::InvalidPath));
    }

    #[test]
    fn equality_fast_path_only_for_plain_eq() {
        let f = Filter::parse(r#"userName eq "a@b.c""#).expect("parse");
        let (path, value) = f.as_equality().expect("equality");
        assert_eq!((path.name.as_str(), value), ("userName", "a@b.c"));
        assert!(
            Filter::parse(r#"userName co "a""#)
                .expect("parse")
                .as_equality()
                .is_none()
        );
        assert!(
            Filter::parse(r#"userName eq "a" or id eq "b""#)
                .expect("parse")
                .as_equality()
                .is_none()
        );
    }

    #[test]
    fn patch_paths() {
        let p = PatchPath::parse(r#"members[value eq "2819c223"]"#).expect("path");
        assert_eq!(p.attr.name, "members");
        assert!(p.filter.is_some() && p.sub_after_filter.is_none());
        let p = PatchPath::parse(r#"emails[type eq "work"].value"#).expect("path");
        assert_eq!(p.sub_after_filter.as_deref(), Some("value"));
        let p = PatchPath::parse("name.familyName").expect("path");
        assert_eq!(p.attr.sub.as_deref(), Some("familyName"));
        let p = PatchPath::parse(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        )
        .expect("path");
        assert_eq!(
            p.attr.urn.as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );
        assert_eq!(p.attr.name, "department");
        for bad in [
            "",
            "a b",
            "members[",
            r#"members[value eq "x"]x"#,
            "na me.x",
            "a.b.c",
        ] {
            let err = PatchPath::parse(bad).expect_err(bad);
            assert_eq!(
                err.scim_type,
                Some(crate::error::ScimType::InvalidPath),
                "{bad}"
            );
        }
    }
}
