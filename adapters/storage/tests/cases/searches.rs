//! Searches: creation, lists, the stored run and its results, deletion.

use serde_json::json;
use sybil_domain::Timestamp;
use sybil_domain::search::{Search, SearchRun};
use sybil_ports::outbound::SearchRepository;
use uuid::Uuid;

use crate::support::{TestDb, count_rows_where};

fn search(at: i64, query: Option<&str>) -> Search {
    Search {
        id: Uuid::now_v7(),
        title: Some(format!("s{at}")),
        query: query.map(String::from),
        created_at: Timestamp(at),
        updated_at: Timestamp(at),
    }
}

fn run() -> SearchRun {
    SearchRun {
        request_id: Some("req_1".into()),
        latency_ms: Some(42),
        error: None,
        answer_text: Some("the answer".into()),
        answer_request_id: None,
        answer_citations: vec![
            json!({ "id": "c", "url": "https://c", "title": null, "publishedDate": null, "author": null }),
        ],
        answer_error: Some("exa: HTTP 500: boom".into()),
        results: (0..3)
            .map(|i| json!({ "id": i, "url": format!("https://r/{i}"), "score": null }))
            .collect(),
    }
}

pub async fn searches_round_trip_and_list_newest_first(db: &TestDb) {
    let old = search(1, None);
    let new = search(2, Some("rust"));
    db.create_search(&old).await.unwrap();
    db.create_search(&new).await.unwrap();
    let ids: Vec<Uuid> = db
        .list_searches()
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids, [new.id, old.id]);
    let (loaded, empty) = db.load_search(old.id).await.unwrap().unwrap();
    assert_eq!(loaded, old);
    assert_eq!(empty, SearchRun::default());
    assert!(db.load_search(Uuid::now_v7()).await.unwrap().is_none());
}

pub async fn a_saved_run_replaces_the_last_one_and_goes_with_its_search(db: &TestDb) {
    let s = search(1, Some("q"));
    db.create_search(&s).await.unwrap();
    assert!(
        db.save_run(
            s.id,
            Some("t2".into()),
            Some("q2".into()),
            &run(),
            Timestamp(9)
        )
        .await
        .unwrap()
    );
    let (loaded, stored) = db.load_search(s.id).await.unwrap().unwrap();
    assert_eq!(
        (loaded.title.as_deref(), loaded.query.as_deref()),
        (Some("t2"), Some("q2"))
    );
    assert_eq!(
        (loaded.created_at, loaded.updated_at),
        (Timestamp(1), Timestamp(9))
    );
    assert_eq!(stored, run());

    let mut second = run();
    second.results.truncate(1);
    second.answer_citations.clear();
    assert!(
        db.save_run(s.id, None, Some("q2".into()), &second, Timestamp(10))
            .await
            .unwrap()
    );
    assert_eq!(db.load_search(s.id).await.unwrap().unwrap().1, second);

    assert!(
        !db.save_run(Uuid::now_v7(), None, None, &run(), Timestamp(11))
            .await
            .unwrap()
    );
    assert!(db.delete_search(s.id).await.unwrap());
    assert!(!db.delete_search(s.id).await.unwrap());
    assert_eq!(
        count_rows_where(db, "search_results", "search_id", s.id).await,
        0
    );
}
