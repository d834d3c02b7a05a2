//! Requests are filed under their subject and their state in the document
//! store, so that a subject's list (the portal, the access export's account
//! status) reads that subject's requests and the open list (the console, the
//! API) the open ones, not every request of the provider; requests stored by
//! an earlier version are filed once.

mod common;

use common::*;
use habeas_core::clock::ManualClock;
use habeas_core::docs::{Doc, DocError, DocStore, MemoryDocs};
use habeas_core::rights::RequestKind;
use habeas_rights::service::{NewRequest, REQUEST_KIND, RequestChannel, RequestService};

const NOW: &str = "2026-04-03T08:00:00Z";

fn new(kind: RequestKind, subject: Option<&str>) -> NewRequest {
    NewRequest {
        kind,
        channel: RequestChannel::Portal,
        subject: subject.map(str::to_string),
        contact_ref: "vault:contact.email".into(),
    }
}

/// The ids of a store listing.
fn ids(listed: Result<Vec<Doc>, DocError>) -> Vec<String> {
    listed.unwrap().into_iter().map(|d| d.id).collect()
}

/// The ids the store lists as candidates for `owner`.
fn candidates(docs: &dyn DocStore, owner: &str) -> Vec<String> {
    ids(docs.list_docs_of(REQUEST_KIND, owner))
}

/// The ids the store lists as candidates for the open list.
fn open_candidates(docs: &dyn DocStore) -> Vec<String> {
    ids(docs.list_docs_in(REQUEST_KIND, "open"))
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[test]
fn a_subjects_list_reads_only_the_requests_filed_under_them() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = ManualClock::new(utc(NOW));
    let service = RequestService::new(&docs, &clock, &decls, config());
    let a1 = service
        .create(new(RequestKind::Access, Some("sub_a")))
        .unwrap();
    let a2 = service
        .create(new(RequestKind::Erasure, Some("sub_a")))
        .unwrap();
    let b = service
        .create(new(RequestKind::Access, Some("sub_b")))
        .unwrap();
    let unknown = service.create(new(RequestKind::Access, None)).unwrap();

    assert_eq!(
        candidates(&docs, "sub_a"),
        sorted(vec![a1.id.clone(), a2.id.clone()]),
        "neither the other subject's request nor the unlinked one is read"
    );
    assert_eq!(candidates(&docs, ""), vec![unknown.id.clone()]);
    let mine: Vec<_> = service
        .list_for_subject("sub_a")
        .unwrap()
        .into_iter()
        .map(|v| v.id)
        .collect();
    assert_eq!(sorted(mine), sorted(vec![a1.id.clone(), a2.id.clone()]));

    // Linked once the requester is identified: refiled under the subject.
    service
        .link_subject(&unknown.id, unknown.version, "sub_b")
        .unwrap();
    assert_eq!(
        candidates(&docs, "sub_b"),
        sorted(vec![b.id.clone(), unknown.id.clone()])
    );
    assert!(candidates(&docs, "").is_empty());
    assert_eq!(service.list_for_subject("sub_b").unwrap().len(), 2);
    // Every later step keeps the filing.
    let acked = service.acknowledge(&a1.id, a1.version).unwrap();
    assert_eq!(acked.version, 2);
    assert_eq!(candidates(&docs, "sub_a").len(), 2);

    // Withdrawn: filed as closed, no longer read for the open list.
    assert_eq!(open_candidates(&docs).len(), 4);
    service.withdraw(&a2.id, a2.version, "sub_a").unwrap();
    assert_eq!(
        open_candidates(&docs),
        sorted(vec![a1.id.clone(), b.id.clone(), unknown.id.clone()])
    );
    let open: Vec<_> = service
        .list_open()
        .unwrap()
        .into_iter()
        .map(|v| v.id)
        .collect();
    assert_eq!(sorted(open), open_candidates(&docs));
    assert_eq!(
        service.list_for_subject("sub_a").unwrap().len(),
        2,
        "still the subject's"
    );
}

#[test]
fn requests_stored_before_filing_are_listed_then_filed_once() {
    let decls = demo();
    let clock = ManualClock::new(utc(NOW));
    // Requests as an earlier version stored them: the same bodies, unfiled.
    let earlier = MemoryDocs::new();
    let made = RequestService::new(&earlier, &clock, &decls, config());
    let a = made
        .create(new(RequestKind::Access, Some("sub_a")))
        .unwrap();
    let b = made
        .create(new(RequestKind::Access, Some("sub_b")))
        .unwrap();
    let unknown = made.create(new(RequestKind::Access, None)).unwrap();
    let docs = MemoryDocs::new();
    for doc in earlier.list_docs(REQUEST_KIND).unwrap() {
        docs.put_doc(REQUEST_KIND, &doc.id, None, &doc.body)
            .unwrap();
    }
    let service = RequestService::new(&docs, &clock, &decls, config());

    // Unfiled requests are candidates for everyone; the body still decides.
    assert_eq!(candidates(&docs, "sub_a").len(), 3);
    let listed: Vec<_> = service
        .list_for_subject("sub_a")
        .unwrap()
        .into_iter()
        .map(|v| v.id)
        .collect();
    assert_eq!(listed, vec![a.id.clone()]);

    assert_eq!(open_candidates(&docs).len(), 3);
    made.withdraw(&b.id, b.version, "sub_b").unwrap();
    let withdrawn = earlier.get_doc(REQUEST_KIND, &b.id).unwrap().unwrap();
    docs.put_doc(REQUEST_KIND, &b.id, Some(1), &withdrawn.body)
        .unwrap();

    assert_eq!(service.file_requests().unwrap(), 3);
    assert_eq!(candidates(&docs, "sub_a"), vec![a.id.clone()]);
    assert_eq!(candidates(&docs, "sub_b"), vec![b.id.clone()]);
    assert_eq!(candidates(&docs, ""), vec![unknown.id.clone()]);
    assert_eq!(
        open_candidates(&docs),
        sorted(vec![a.id.clone(), unknown.id.clone()]),
        "the withdrawn one is filed as closed"
    );
    // Filing changes nothing else: same request, same clocks.
    let after = service.get(&a.id).unwrap();
    assert_eq!((after.received_at, after.stage), (a.received_at, a.stage));
    assert_eq!(service.file_requests().unwrap(), 0, "filed once");
}
