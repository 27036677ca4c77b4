//! The one path every object handler takes: look the object up (404 before 403, as Athenz does),
//! authorize with the central evaluator, then change it through the state's single write path
//! with its modification time and audit record.

use super::Caller;
use crate::doc::DomainObject;
use crate::error::{ZmsError, ZmsResult};
use crate::state::AppState;
use model::DomainName;

/// Where an object lives and how a change to it is authorized and audited.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// Its domain.
    pub domain: &'a DomainName,
    /// Its full name (`d:role.r`, `d.s`), the key in the domain document and the audit object.
    pub full: &'a str,
    /// The resource checked for `update`/`delete` (`d:role.r`, `d:service.s`).
    pub resource: &'a str,
}

/// 404 for a missing object of kind `T`.
pub fn not_found<T: DomainObject>(full: &str) -> ZmsError {
    ZmsError::NotFound(format!("{} not found: {full}", T::KIND))
}

/// A copy of the object, or 404.
pub fn get<T: DomainObject>(st: &AppState, domain: &DomainName, full: &str) -> ZmsResult<T> {
    let e = st.entry(domain.as_str())?;
    T::all(&e.doc)
        .get(full)
        .cloned()
        .ok_or_else(|| not_found::<T>(full))
}

/// Creates or replaces the object (`update` on its resource).
pub async fn put<T: DomainObject>(
    st: &AppState,
    caller: &Caller,
    t: Target<'_>,
    op: &'static str,
    obj: T,
) -> ZmsResult<()> {
    st.entry(t.domain.as_str())?;
    st.authorize(&caller.principal, "update", t.resource)?;
    let details = serde_json::to_value(&obj).ok();
    st.update_domain(
        caller.change(op, t.full.to_string()),
        t.domain.as_str(),
        |doc, now| {
            let mut obj = obj.clone();
            obj.touch(now);
            T::all_mut(doc).insert(t.full.to_string(), obj);
            Ok(details.clone())
        },
    )
    .await
}

/// Changes an existing object with `verb` rights (`update`); `edit` returns the audit details.
pub async fn edit<T: DomainObject>(
    st: &AppState,
    caller: &Caller,
    t: Target<'_>,
    op: &'static str,
    mut edit: impl FnMut(&mut T) -> ZmsResult<Option<serde_json::Value>>,
) -> ZmsResult<()> {
    get::<T>(st, t.domain, t.full)?;
    st.authorize(&caller.principal, "update", t.resource)?;
    st.update_domain(
        caller.change(op, t.full.to_string()),
        t.domain.as_str(),
        |doc, now| {
            let obj = T::all_mut(doc)
                .get_mut(t.full)
                .ok_or_else(|| not_found::<T>(t.full))?;
            let details = edit(obj)?;
            obj.touch(now);
            Ok(details)
        },
    )
    .await
}

/// Deletes an existing object (`delete` on its resource).
pub async fn delete<T: DomainObject>(
    st: &AppState,
    caller: &Caller,
    t: Target<'_>,
    op: &'static str,
) -> ZmsResult<()> {
    get::<T>(st, t.domain, t.full)?;
    st.authorize(&caller.principal, "delete", t.resource)?;
    st.update_domain(
        caller.change(op, t.full.to_string()),
        t.domain.as_str(),
        |doc, _| {
            T::all_mut(doc)
                .remove(t.full)
                .ok_or_else(|| not_found::<T>(t.full))?;
            Ok(None)
        },
    )
    .await
}

/// Short names of every object of kind `T` in the domain (`admin` for `d:role.admin`).
pub fn short_names<T: DomainObject>(
    st: &AppState,
    domain: &DomainName,
    sep: &str,
) -> ZmsResult<Vec<String>> {
    let e = st.entry(domain.as_str())?;
    let prefix = format!("{domain}{sep}");
    Ok(T::all(&e.doc)
        .keys()
        .filter_map(|k| k.strip_prefix(&prefix).map(str::to_string))
        .collect())
}

/// Every object of kind `T` in the domain, each passed through `shape` (to drop members, …).
pub fn list<T: DomainObject>(
    st: &AppState,
    domain: &DomainName,
    shape: impl Fn(T) -> T,
) -> ZmsResult<Vec<T>> {
    let e = st.entry(domain.as_str())?;
    Ok(T::all(&e.doc).values().cloned().map(shape).collect())
}

/// Replaces-or-adds `item` in a member/key list by `same`, the shared shape of every
/// "put member" and "put key" call.
pub fn upsert<I: Clone>(list: &mut Option<Vec<I>>, item: &I, same: impl Fn(&I) -> bool) {
    let l = list.get_or_insert_with(Vec::new);
    l.retain(|x| !same(x));
    l.push(item.clone());
}

/// Removes the entries matching `same`; 404 (with `what`) when there was none.
pub fn remove<I>(
    list: &mut Option<Vec<I>>,
    same: impl Fn(&I) -> bool,
    what: impl FnOnce() -> String,
) -> ZmsResult<()> {
    let l = list.get_or_insert_with(Vec::new);
    let before = l.len();
    l.retain(|x| !same(x));
    if l.len() == before {
        return Err(ZmsError::NotFound(what()));
    }
    Ok(())
}
