use serde_json::{json, Value};

use preferred_item_service::config::Source;

use crate::harness::{bricks_json, spawn_app_from, TestApp};

const NOT_FOUND: &str = "No preferred item found for the provided bricks";

type Bricks<'a> = &'a [(i64, &'a [i64])];

async fn ask(app: &TestApp, path: &str, body: Value) -> crate::harness::Reply {
    app.post_json(path, &body).await
}

fn query(bricks: Bricks) -> Value {
    json!({"bricks": bricks_json(bricks)})
}

fn preferred(reply: &crate::harness::Reply) -> &str {
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["preferred_item"]["identifier"].as_str().unwrap()
}

fn order(reply: &crate::harness::Reply) -> Vec<String> {
    let mut ids = vec![preferred(reply).to_owned()];
    ids.extend(
        reply.body["alternatives"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["item"]["identifier"].as_str().unwrap().to_owned()),
    );
    ids
}

async fn the_original_apis_cases_on_the_demo_data(source: Source) {
    let app = spawn_app_from(source, |s| s.demo_data = Some(true)).await;

    let item1 = ask(&app, "/preferreditem", query(&[(1, &[1, 2]), (2, &[3, 4])])).await;
    assert_eq!(
        item1.body,
        json!({
            "preferred_item": {"identifier": "item1", "bricks": [{"design_id": 1, "color_codes": [1, 2]}, {"design_id": 2, "color_codes": [3, 4]}]},
            "item_info": {"identifier": "item1", "status": "Normal", "price": 10.0},
            "candidates": 1,
            "alternatives": []
        })
    );

    let item2 = ask(&app, "/preferreditem", query(&[(1, &[1, 2]), (2, &[4, 3])])).await;
    assert_eq!(preferred(&item2), "item2");
    assert_eq!(
        item2.body["item_info"],
        json!({"identifier": "item2", "status": "Novelty", "price": 5.0})
    );

    let none = ask(&app, "/preferreditem", query(&[(1, &[1, 2]), (2, &[5, 6])])).await;
    none.assert_problem(404, &[]);
    assert_eq!(none.body["detail"], NOT_FOUND);
}

async fn rank_and_score_disagree_where_the_rules_say_they_should(source: Source) {
    let app = spawn_app_from(source, |s| s.demo_data = Some(true)).await;
    // Bricks 2:[1,2]: item8 Normal 7.0, item9 Novelty 3.0, item10 Outgoing
    // 3.0, item11 Discontinued 10.0. Scores: 3/7=0.43, 2/3=0.67, 1/3=0.33.
    let body = json!({"bricks": bricks_json(&[(2, &[1, 2])]), "alternatives": 5});
    let rank = ask(&app, "/preferreditem", body.clone()).await;
    let score = ask(&app, "/preferreditem/score", body).await;
    assert_eq!(order(&rank), ["item8", "item9", "item10"]);
    assert_eq!(order(&score), ["item9", "item8", "item10"]);
    assert_eq!(rank.body["candidates"], 3);
    assert_eq!(score.body["candidates"], 3);
}

async fn the_worked_example_prefers_c_under_both_strategies(source: Source) {
    let app = spawn_app_from(source, |_| {}).await;
    let bricks: Bricks = &[(5, &[1])];
    app.create_priced("A", bricks, "Normal", "10.00").await;
    app.create_priced("B", bricks, "Novelty", "5.00").await;
    app.create_priced("C", bricks, "Normal", "3.00").await;
    assert_eq!(
        preferred(&ask(&app, "/preferreditem", query(bricks)).await),
        "C"
    );
    assert_eq!(
        preferred(&ask(&app, "/preferreditem/score", query(bricks)).await),
        "C"
    );
}

async fn discontinued_items_are_candidates_only_when_asked_for(source: Source) {
    let app = spawn_app_from(source, |_| {}).await;
    let bricks: Bricks = &[(1, &[1])];
    app.create_priced("old", bricks, "Discontinued", "1").await;

    ask(&app, "/preferreditem", query(bricks))
        .await
        .assert_problem(404, &[]);
    let with = ask(
        &app,
        "/preferreditem",
        json!({"bricks": bricks_json(bricks), "include_discontinued": true}),
    )
    .await;
    assert_eq!(preferred(&with), "old");
    // Weight 0 scores 0 but is still a candidate.
    let scored = ask(
        &app,
        "/preferreditem/score",
        json!({"bricks": bricks_json(bricks), "include_discontinued": true}),
    )
    .await;
    assert_eq!(preferred(&scored), "old");
}

async fn items_without_master_data_are_never_preferred(source: Source) {
    let app = spawn_app_from(source, |_| {}).await;
    let bricks: Bricks = &[(1, &[1])];
    app.create_item("bare", bricks).await;
    app.create_priced("priced", bricks, "Outgoing", "900").await;

    let reply = ask(
        &app,
        "/preferreditem",
        json!({"bricks": bricks_json(bricks), "alternatives": 3}),
    )
    .await;
    assert_eq!(order(&reply), ["priced"]);
    assert_eq!(reply.body["candidates"], 1);
}

async fn exact_matching_counts_repeated_bricks_and_ignores_list_order(source: Source) {
    let app = spawn_app_from(source, |_| {}).await;
    app.create_priced("once", &[(1, &[1]), (2, &[2])], "Normal", "1")
        .await;
    app.create_priced("twice", &[(1, &[1]), (2, &[2]), (1, &[1])], "Normal", "1")
        .await;

    let once = ask(&app, "/preferreditem", query(&[(2, &[2]), (1, &[1])])).await;
    assert_eq!(order(&once), ["once"]);
    let twice = ask(
        &app,
        "/preferreditem",
        query(&[(1, &[1]), (2, &[2]), (1, &[1])]),
    )
    .await;
    assert_eq!(order(&twice), ["twice"]);
}

async fn contains_matching_needs_enough_of_each_repeated_brick(source: Source) {
    let app = spawn_app_from(source, |_| {}).await;
    app.create_priced("one-a", &[(1, &[1]), (3, &[3])], "Normal", "1")
        .await;
    app.create_priced("two-a", &[(1, &[1]), (1, &[1]), (3, &[3])], "Normal", "2")
        .await;
    app.create_priced("three-a", &[(1, &[1]), (1, &[1]), (1, &[1])], "Normal", "3")
        .await;

    let one = ask(
        &app,
        "/preferreditem",
        json!({"bricks": bricks_json(&[(1, &[1])]), "match": "contains", "alternatives": 5}),
    )
    .await;
    assert_eq!(order(&one), ["one-a", "two-a", "three-a"]);
    let two = ask(&app, "/preferreditem", json!({"bricks": bricks_json(&[(1, &[1]), (1, &[1])]), "match": "contains", "alternatives": 5})).await;
    assert_eq!(order(&two), ["two-a", "three-a"]);
    let two_and_three = ask(&app, "/preferreditem", json!({"bricks": bricks_json(&[(3, &[3]), (1, &[1]), (1, &[1])]), "match": "contains", "alternatives": 5})).await;
    assert_eq!(order(&two_and_three), ["two-a"]);
    // Exact matching is stricter than contains.
    ask(
        &app,
        "/preferreditem",
        json!({"bricks": bricks_json(&[(1, &[1])])}),
    )
    .await
    .assert_problem(404, &[]);
}

async fn colour_order_makes_a_different_brick(source: Source) {
    let app = spawn_app_from(source, |_| {}).await;
    app.create_priced("forward", &[(1, &[1, 2])], "Normal", "1")
        .await;
    ask(&app, "/preferreditem", query(&[(1, &[2, 1])]))
        .await
        .assert_problem(404, &[]);
    ask(
        &app,
        "/preferreditem",
        json!({"bricks": bricks_json(&[(1, &[2, 1])]), "match": "contains"}),
    )
    .await
    .assert_problem(404, &[]);
    assert_eq!(
        preferred(&ask(&app, "/preferreditem", query(&[(1, &[1, 2])])).await),
        "forward"
    );
}

async fn ties_fall_to_the_lower_identifier_in_byte_order(source: Source) {
    let app = spawn_app_from(source, |_| {}).await;
    let bricks: Bricks = &[(1, &[1])];
    for id in ["b", "a", "B", "_"] {
        app.create_priced(id, bricks, "Normal", "2.5").await;
    }
    let reply = ask(
        &app,
        "/preferreditem",
        json!({"bricks": bricks_json(bricks), "alternatives": 3}),
    )
    .await;
    assert_eq!(order(&reply), ["B", "_", "a", "b"]);
}

async fn alternatives_come_in_order_and_stop_at_the_candidates(source: Source) {
    let app = spawn_app_from(source, |_| {}).await;
    let bricks: Bricks = &[(1, &[1])];
    // Ten Normal items and two of every other status: the shortlist per
    // status must still give the right overall order.
    for i in 0..10 {
        app.create_priced(&format!("n{i}"), bricks, "Normal", &format!("{}", 10 - i))
            .await;
    }
    app.create_priced("v1", bricks, "Novelty", "0.5").await;
    app.create_priced("o1", bricks, "Outgoing", "0.25").await;

    let rank = ask(
        &app,
        "/preferreditem",
        json!({"bricks": bricks_json(bricks), "alternatives": 3}),
    )
    .await;
    assert_eq!(order(&rank), ["n9", "n8", "n7", "n6"]);
    assert_eq!(rank.body["candidates"], 12);
    let score = ask(
        &app,
        "/preferreditem/score",
        json!({"bricks": bricks_json(bricks), "alternatives": 20}),
    )
    .await;
    // Scores: o1 = 4, v1 = 4, n9 = 3, n8 = 1.5, ...; o1 and v1 tie, and
    // rank (Novelty before Outgoing) breaks it.
    assert_eq!(order(&score)[..4], ["v1", "o1", "n9", "n8"]);
    assert_eq!(order(&score).len(), 12);
}

async fn query_rule_violations_are_422_naming_each_field(source: Source) {
    let app = spawn_app_from(source, |_| {}).await;
    let cases = [
        (json!({"bricks": []}), vec!["bricks"]),
        (
            json!({"bricks": bricks_json(&[(1, &[])])}),
            vec!["bricks[0].color_codes"],
        ),
        (
            json!({"bricks": bricks_json(&[(1, &[1])]), "match": "fuzzy"}),
            vec!["match"],
        ),
        (
            json!({"bricks": bricks_json(&[(1, &[1])]), "alternatives": 21}),
            vec!["alternatives"],
        ),
        (
            json!({"bricks": bricks_json(&[(1, &[1])]), "alternatives": -1}),
            vec!["alternatives"],
        ),
        (
            json!({"bricks": bricks_json(&[(1, &[1])]), "strategy": "rank"}),
            vec!["strategy"],
        ),
    ];
    for path in ["/preferreditem", "/preferreditem/score"] {
        for (body, fields) in &cases {
            ask(&app, path, body.clone())
                .await
                .assert_problem(422, fields);
        }
    }
}

async fn a_batch_answers_hits_misses_and_invalid_queries_in_order(source: Source) {
    let app = spawn_app_from(source, |s| s.demo_data = Some(true)).await;
    let batch = json!({
        "strategy": "score",
        "queries": [
            {"bricks": bricks_json(&[(2, &[1, 2])])},
            {"bricks": bricks_json(&[(1, &[1, 2]), (2, &[5, 6])])},
            {"bricks": bricks_json(&[(1, &[1, 2])]), "match": "nope"},
            {"bricks": bricks_json(&[(1, &[1, 2])]), "match": "contains", "alternatives": 1},
            {"bricks": bricks_json(&[(2, &[1, 2])]), "include_discontinued": true, "alternatives": 4}
        ]
    });

    let reply = ask(&app, "/preferreditem/batch", batch).await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["strategy"], "score");
    let results = reply.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    assert_eq!(results[0]["preferred_item"]["identifier"], "item9");
    assert_eq!(results[1]["error"]["status"], 404);
    assert_eq!(results[1]["error"]["detail"], NOT_FOUND);
    assert_eq!(results[2]["error"]["status"], 422);
    assert_eq!(
        results[2]["error"]["errors"],
        json!([{"field": "queries[2].match", "message": "must be \"exact\" or \"contains\""}])
    );
    // contains 1:[1,2]: item1 (3/10), item2 (2/5), item3 (1/7), item4 (3/3).
    assert_eq!(results[3]["preferred_item"]["identifier"], "item4");
    assert_eq!(results[3]["alternatives"][0]["item"]["identifier"], "item2");
    assert_eq!(results[3]["candidates"], 4);
    assert_eq!(results[4]["candidates"], 4);
    assert_eq!(results[4]["alternatives"].as_array().unwrap().len(), 3);
}

async fn a_batch_defaults_to_rank_and_matches_single_requests(source: Source) {
    let app = spawn_app_from(source, |s| s.demo_data = Some(true)).await;
    let queries: Vec<Value> = [
        query(&[(1, &[1, 2]), (2, &[3, 4])]),
        json!({"bricks": bricks_json(&[(2, &[1, 2])]), "alternatives": 2}),
        json!({"bricks": bricks_json(&[(3, &[5, 6])]), "match": "contains"}),
    ]
    .into();
    let reply = ask(&app, "/preferreditem/batch", json!({"queries": queries})).await;
    assert_eq!(reply.body["strategy"], "rank");
    for (i, q) in queries.iter().enumerate() {
        let single = ask(&app, "/preferreditem", q.clone()).await;
        assert_eq!(reply.body["results"][i], single.body, "query {i}");
    }
}

async fn a_batch_is_checked_as_a_whole_before_any_lookup(source: Source) {
    let app = spawn_app_from(source, |_| {}).await;
    let one = query(&[(1, &[1])]);
    ask(&app, "/preferreditem/batch", json!({"queries": []}))
        .await
        .assert_problem(422, &["queries"]);
    ask(
        &app,
        "/preferreditem/batch",
        json!({"queries": vec![one.clone(); 1001]}),
    )
    .await
    .assert_problem(422, &["queries"]);
    ask(
        &app,
        "/preferreditem/batch",
        json!({"strategy": "best", "queries": [one]}),
    )
    .await
    .assert_problem(422, &["strategy"]);
    ask(
        &app,
        "/preferreditem/batch",
        json!({"queries": [{"bricks": "x"}]}),
    )
    .await
    .assert_problem(400, &["queries[0].bricks"]);
}

async fn a_batch_of_a_thousand_queries_is_answered_in_order(source: Source) {
    let app = spawn_app_from(source, |_| {}).await;
    for i in 0..20 {
        app.create_priced(&format!("i{i}"), &[(i, &[1])], "Normal", "1")
            .await;
    }
    let queries: Vec<Value> = (0..1000).map(|i| query(&[(i % 40, &[1])])).collect();
    let reply = ask(&app, "/preferreditem/batch", json!({"queries": queries})).await;
    let results = reply.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 1000);
    for (i, result) in results.iter().enumerate() {
        let design = i % 40;
        if design < 20 {
            assert_eq!(result["preferred_item"]["identifier"], format!("i{design}"));
        } else {
            assert_eq!(result["error"]["status"], 404);
        }
    }
}

async fn writes_take_effect_on_the_next_request(source: Source) {
    let app = spawn_app_from(source, |_| {}).await;
    let bricks: Bricks = &[(1, &[1])];
    app.create_priced("a", bricks, "Normal", "5").await;
    app.create_priced("b", bricks, "Normal", "6").await;
    assert_eq!(
        preferred(&ask(&app, "/preferreditem", query(bricks)).await),
        "a"
    );

    app.put_master_data("b", "Normal", "4").await;
    assert_eq!(
        preferred(&ask(&app, "/preferreditem", query(bricks)).await),
        "b"
    );

    app.put_json("/items/b", &json!({"bricks": bricks_json(&[(2, &[2])])}))
        .await;
    assert_eq!(
        preferred(&ask(&app, "/preferreditem", query(bricks)).await),
        "a"
    );
    assert_eq!(
        preferred(&ask(&app, "/preferreditem", query(&[(2, &[2])])).await),
        "b"
    );

    app.delete("/masterdata/a").await;
    ask(&app, "/preferreditem", query(bricks))
        .await
        .assert_problem(404, &[]);

    app.delete("/items/b").await;
    ask(&app, "/preferreditem", query(&[(2, &[2])]))
        .await
        .assert_problem(404, &[]);
}

async fn score_weights_come_from_configuration(source: Source) {
    let app = spawn_app_from(source, |s| {
        s.preferred_item.weights.outgoing = rust_decimal::Decimal::from(100);
    })
    .await;
    let bricks: Bricks = &[(1, &[1])];
    app.create_priced("normal", bricks, "Normal", "1").await;
    app.create_priced("outgoing", bricks, "Outgoing", "10")
        .await;
    assert_eq!(
        preferred(&ask(&app, "/preferreditem/score", query(bricks)).await),
        "outgoing"
    );
    assert_eq!(
        preferred(&ask(&app, "/preferreditem", query(bricks)).await),
        "normal"
    );
}

async fn answers_from_memory_name_their_catalog_version(source: Source) {
    let app = spawn_app_from(source, |s| s.demo_data = Some(true)).await;
    let single = ask(&app, "/preferreditem", query(&[(1, &[1, 2]), (2, &[3, 4])])).await;
    let batch = ask(
        &app,
        "/preferreditem/batch",
        json!({"queries": [query(&[(1, &[1, 2]), (2, &[3, 4])])]}),
    )
    .await;
    for reply in [&single, &batch] {
        assert_eq!(reply.status, 200, "{}", reply.body);
        let version = reply.header("x-catalog-version");
        match source {
            Source::Memory => {
                let version: u64 = version.expect("a catalog version").parse().unwrap();
                assert!(version > 0);
            }
            Source::Database => assert_eq!(version, None),
        }
        assert_eq!(reply.header("x-catalog-stale-seconds"), None);
    }
    // A "no candidate" answer names its version too.
    let none = ask(&app, "/preferreditem", query(&[(9, &[9])])).await;
    none.assert_problem(404, &[]);
    assert_eq!(
        none.header("x-catalog-version").is_some(),
        source == Source::Memory
    );
    // A write moves the version of the replica that took it.
    let before: Option<u64> = single
        .header("x-catalog-version")
        .map(|v| v.parse().unwrap());
    app.put_master_data("item1", "Normal", "9").await;
    let after = ask(&app, "/preferreditem", query(&[(1, &[1, 2]), (2, &[3, 4])])).await;
    assert_eq!(after.body["item_info"]["price"], json!(9));
    let after: Option<u64> = after
        .header("x-catalog-version")
        .map(|v| v.parse().unwrap());
    // Versions never go back (they need not move: a transaction running
    // anywhere on the server holds the lower bound where it is).
    assert!(after >= before, "{after:?} after {before:?}");
}

crate::for_both_sources!(
    answers_from_memory_name_their_catalog_version,
    the_original_apis_cases_on_the_demo_data,
    rank_and_score_disagree_where_the_rules_say_they_should,
    the_worked_example_prefers_c_under_both_strategies,
    discontinued_items_are_candidates_only_when_asked_for,
    items_without_master_data_are_never_preferred,
    exact_matching_counts_repeated_bricks_and_ignores_list_order,
    contains_matching_needs_enough_of_each_repeated_brick,
    colour_order_makes_a_different_brick,
    ties_fall_to_the_lower_identifier_in_byte_order,
    alternatives_come_in_order_and_stop_at_the_candidates,
    query_rule_violations_are_422_naming_each_field,
    a_batch_answers_hits_misses_and_invalid_queries_in_order,
    a_batch_defaults_to_rank_and_matches_single_requests,
    a_batch_is_checked_as_a_whole_before_any_lookup,
    a_batch_of_a_thousand_queries_is_answered_in_order,
    writes_take_effect_on_the_next_request,
    score_weights_come_from_configuration,
);
