//! The SCIM protocol, in the request shapes Okta's and Entra ID's
//! provisioning guides show.

use serde_json::{Value, json};

use crate::harness::{Harness, okta_user};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

fn enc(filter: &str) -> String {
    url::form_urlencoded::byte_serialize(filter.as_bytes()).collect()
}

#[tokio::test]
async fn okta_sequence_create_lookup_deactivate_group_push() {
    let h = Harness::start().await;
    // Okta looks the user up by userName before creating it.
    let (status, list) = h
        .get(&format!(
            "/Users?filter={}&startIndex=1&count=100",
            enc(r#"userName eq "ada@example.com""#)
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["totalResults"], 0);
    assert_eq!(
        list["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    );

    let (status, created) = h
        .post("/Users", okta_user("ada@example.com", "Ada", "Lovelace"))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["userName"], "ada@example.com");
    assert_eq!(created["meta"]["resourceType"], "User");
    assert_eq!(created["meta"]["version"], "W/\"1\"");
    assert!(
        created.get("password").is_none(),
        "a password is never stored or returned"
    );
    assert!(
        created["meta"]["location"]
            .as_str()
            .expect("location")
            .ends_with(&format!("/scim/v2/Users/{id}"))
    );

    let (status, list) = h
        .get(&format!(
            "/Users?filter={}",
            enc(r#"userName eq "ADA@example.com""#)
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["totalResults"], 1);
    assert_eq!(list["Resources"][0]["id"], id.as_str());

    let (status, got) = h.get(&format!("/Users/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(got["name"]["givenName"], "Ada");

    // Okta deactivates with a PATCH without a path …
    let (status, patched) = h
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "value": {"active": false}}]),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["active"], false);
    assert_eq!(patched["meta"]["version"], "W/\"2\"");
    // … or a PUT of the whole user with active: false.
    let mut body = okta_user("ada@example.com", "Ada", "Lovelace");
    body["active"] = json!(true);
    let (status, put) = h.put(&format!("/Users/{id}"), body.clone()).await;
    assert_eq!(status, 200, "{put}");
    assert_eq!(put["active"], true);
    body["active"] = json!(false);
    let (status, put) = h.put(&format!("/Users/{id}"), body).await;
    assert_eq!(status, 200);
    assert_eq!(put["active"], false);

    // Group push: create, add a member, remove a member, rename.
    let bob = h.create_user("bob@example.com", "Bob", "Babbage").await;
    let (status, group) = h
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "Engineering", "members": []}),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let gid = group["id"].as_str().expect("gid").to_owned();
    let (status, g) = h.patch(&format!("/Groups/{gid}"), json!([{"op": "add", "path": "members", "value": [{"value": id, "display": "ada@example.com"}, {"value": bob, "display": "bob@example.com"}]}])).await;
    assert_eq!(status, 200, "{g}");
    assert_eq!(g["members"].as_array().map(Vec::len), Some(2));
    let (status, g) = h
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "remove", "path": format!("members[value eq \"{bob}\"]")}]),
        )
        .await;
    assert_eq!(status, 200, "{g}");
    assert_eq!(
        g["members"],
        json!([{"value": id, "display": "ada@example.com"}])
    );
    let (status, g) = h
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "replace", "value": {"id": gid, "displayName": "Engineering"}}]),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(g["displayName"], "Engineering");
    let (status, list) = h
        .get(&format!(
            "/Groups?filter={}&excludedAttributes=members",
            enc(r#"displayName eq "engineering""#)
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["totalResults"], 1);
    assert!(list["Resources"][0].get("members").is_none());

    assert_eq!(h.delete(&format!("/Groups/{gid}")).await, 204);
    assert_eq!(h.get(&format!("/Groups/{gid}")).await.0, 404);
    assert_eq!(h.delete(&format!("/Users/{id}")).await, 204);
    let (status, gone) = h.get(&format!("/Users/{id}")).await;
    assert_eq!(status, 404);
    assert_eq!(gone["schemas"][0], ERROR);
}

#[tokio::test]
async fn entra_sequence_capitalised_ops_string_booleans_and_member_removal_by_value() {
    let h = Harness::start().await;
    // Entra ID probes with a random userName first.
    let (status, probe) = h
        .get(&format!(
            "/Users?filter={}",
            enc(r#"userName eq "8b7f1e4e-6d3a-4a2c-9f1b-0c1d2e3f4a5b""#)
        ))
        .await;
    assert_eq!((status, probe["totalResults"].clone()), (200, json!(0)));
    let (status, created) = h
        .post("/Users", json!({
            "schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@contoso.example",
            "active": "True",
            "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@contoso.example"}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
            "roles": [],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D", "employeeNumber": "1"}
        }))
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["active"], true, "\"True\" is stored as a boolean");
    let id = created["id"].as_str().expect("id").to_owned();
    let (status, list) = h
        .get(&format!(
            "/Users?filter={}",
            enc(r#"externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef""#)
        ))
        .await;
    assert_eq!((status, list["totalResults"].clone()), (200, json!(1)));

    let (status, patched) = h
        .patch(&format!("/Users/{id}"), json!([
            {"op": "Replace", "path": "displayName", "value": "Ada L"},
            {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "ada.l@contoso.example"},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Ops"},
            {"op": "Replace", "path": "active", "value": "False"}
        ]))
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["active"], false);
    assert_eq!(patched["emails"][0]["value"], "ada.l@contoso.example");
    assert_eq!(
        patched["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"],
        "Ops"
    );

    let (status, group) = h.post("/Groups", json!({"schemas": [GROUP], "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "displayName": "Ops", "meta": {"resourceType": "Group"}})).await;
    assert_eq!(status, 201, "{group}");
    let gid = group["id"].as_str().expect("gid").to_owned();
    let (status, _) = h
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "Add", "path": "members", "value": [{"value": id}]}]),
        )
        .await;
    assert_eq!(status, 200);
    let (status, g) = h
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "Remove", "path": "members", "value": [{"value": id}]}]),
        )
        .await;
    assert_eq!(status, 200, "{g}");
    assert_eq!(g["members"], json!([]));
}

#[tokio::test]
async fn filters_paging_and_attribute_selection() {
    let h = Harness::start().await;
    for (i, name) in ["ada", "bob", "cy", "dee", "eve"].iter().enumerate() {
        let mut user = okta_user(&format!("{name}@example.com"), name, "Tester");
        user["externalId"] = json!(format!("ext-{i}"));
        assert_eq!(h.post("/Users", user).await.0, 201);
    }
    let count = |v: &Value| v["totalResults"].as_i64().expect("total");
    let q = |f: &str| format!("/Users?filter={}", enc(f));
    assert_eq!(count(&h.get(&q(r#"userName sw "b""#)).await.1), 1);
    assert_eq!(count(&h.get(&q(r#"emails.value co "example""#)).await.1), 5);
    assert_eq!(
        count(&h.get(&q(r#"displayName eq "eve Tester""#)).await.1),
        1
    );
    assert_eq!(
        count(
            &h.get(&q(r#"externalId eq "ext-2" or externalId eq "ext-3""#))
                .await
                .1
        ),
        2
    );
    assert_eq!(
        count(
            &h.get(&q(r#"userName sw "a" and externalId eq "ext-0""#))
                .await
                .1
        ),
        1
    );
    assert_eq!(count(&h.get(&q("title pr")).await.1), 0);
    assert_eq!(count(&h.get(&q("displayName pr")).await.1), 5);
    let (_, all) = h.get("/Users").await;
    let first = all["Resources"][0]["id"].as_str().expect("id").to_owned();
    assert_eq!(count(&h.get(&q(&format!(r#"id eq "{first}""#))).await.1), 1);

    let (_, page) = h.get("/Users?startIndex=2&count=2").await;
    assert_eq!(
        (
            page["totalResults"].clone(),
            page["startIndex"].clone(),
            page["itemsPerPage"].clone()
        ),
        (json!(5), json!(2), json!(2))
    );
    assert_eq!(page["Resources"][0]["userName"], "bob@example.com");
    let (_, page) = h
        .get(&format!(
            "{}&startIndex=5&count=10",
            q(r#"userName co "@""#)
        ))
        .await;
    assert_eq!(page["itemsPerPage"], 1);
    assert_eq!(page["Resources"][0]["userName"], "eve@example.com");

    let (_, only) = h
        .get("/Users?count=1&attributes=userName,name.givenName")
        .await;
    let user = only["Resources"][0].as_object().expect("object");
    let mut keys: Vec<&str> = user.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["id", "name", "schemas", "userName"]);
    assert_eq!(user["name"], json!({"givenName": "ada"}));
    let (_, without) = h
        .get(&format!("/Users/{first}?excludedAttributes=emails,meta"))
        .await;
    assert!(
        without.get("emails").is_none()
            && without.get("meta").is_none()
            && without.get("id").is_some()
    );
}

#[tokio::test]
async fn discovery_endpoints() {
    let h = Harness::start().await;
    let (status, spc) = h.get("/ServiceProviderConfig").await;
    assert_eq!(status, 200);
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["etag"]["supported"], true);
    assert_eq!(spc["bulk"]["supported"], false);
    assert_eq!(spc["authenticationSchemes"][0]["type"], "oauthbearertoken");
    let (status, types) = h.get("/ResourceTypes").await;
    assert_eq!(status, 200);
    assert_eq!(types["totalResults"], 2);
    let (status, user_type) = h.get("/ResourceTypes/User").await;
    assert_eq!(
        (status, user_type["endpoint"].clone()),
        (200, json!("/Users"))
    );
    let (status, schemas) = h.get("/Schemas").await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = schemas["Resources"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert!(ids.contains(&USER) && ids.contains(&GROUP), "{ids:?}");
    let (status, user) = h.get(&format!("/Schemas/{USER}")).await;
    assert_eq!(status, 200);
    assert!(
        user["attributes"]
            .as_array()
            .expect("attributes")
            .iter()
            .any(|a| a["name"] == "userName" && a["uniqueness"] == "server")
    );
    assert_eq!(h.get("/Schemas/urn:nope").await.0, 404);
}

#[tokio::test]
async fn etags_if_match_and_uniqueness() {
    let h = Harness::start().await;
    let (status, created, headers) = h
        .send(
            reqwest::Method::POST,
            "/Users",
            Some(okta_user("ada@example.com", "Ada", "L")),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(headers["etag"], "W/\"1\"");
    assert!(
        headers["location"]
            .to_str()
            .expect("location")
            .contains("/scim/v2/Users/")
    );
    let id = created["id"].as_str().expect("id").to_owned();

    // A stale If-Match is refused and changes nothing.
    let stale = h
        .http
        .patch(h.url(&format!("/Users/{id}")))
        .bearer_auth(crate::harness::TOKEN)
        .header("if-match", "W/\"7\"")
        .body(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "displayName", "value": "X"}]}).to_string())
        .send()
        .await
        .expect("send");
    assert_eq!(stale.status().as_u16(), 412);
    let (_, got) = h.get(&format!("/Users/{id}")).await;
    assert_eq!(got["meta"]["version"], "W/\"1\"");
    let fresh = h
        .http
        .patch(h.url(&format!("/Users/{id}")))
        .bearer_auth(crate::harness::TOKEN)
        .header("if-match", "W/\"1\"")
        .body(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "displayName", "value": "X"}]}).to_string())
        .send()
        .await
        .expect("send");
    assert_eq!(fresh.status().as_u16(), 200);
    assert_eq!(fresh.headers()["etag"], "W/\"2\"");
    let not_modified = h
        .http
        .get(h.url(&format!("/Users/{id}")))
        .bearer_auth(crate::harness::TOKEN)
        .header("if-none-match", "W/\"2\"")
        .send()
        .await
        .expect("send");
    assert_eq!(not_modified.status().as_u16(), 304);

    // userName is unique, ignoring case: 409 uniqueness.
    let (status, err) = h
        .post("/Users", okta_user("ADA@example.com", "Other", "Person"))
        .await;
    assert_eq!(status, 409, "{err}");
    assert_eq!(err["scimType"], "uniqueness");
    assert_eq!(err["status"], "409");
    // So is a User's externalId (the IdP's id for the person).
    let mut same_external = okta_user("ada.again@example.com", "Ada", "Again");
    same_external["externalId"] = created["externalId"].clone();
    let (status, err) = h.post("/Users", same_external).await;
    assert_eq!(
        (status, err["scimType"].clone()),
        (409, json!("uniqueness")),
        "{err}"
    );
    let bob = h.create_user("bob@example.com", "Bob", "B").await;
    let (status, err) = h
        .patch(
            &format!("/Users/{bob}"),
            json!([{"op": "replace", "path": "userName", "value": "ada@example.com"}]),
        )
        .await;
    assert_eq!(
        (status, err["scimType"].clone()),
        (409, json!("uniqueness"))
    );
    let (_, list) = h.get("/Users").await;
    assert_eq!(list["totalResults"], 2);
}

#[tokio::test]
async fn remove_takes_one_object_and_a_remove_of_nothing_changes_nothing() {
    let h = Harness::start().await;
    let ada = h.create_user("ada@example.com", "Ada", "L").await;
    let bob = h.create_user("bob@example.com", "Bob", "B").await;
    let (status, group) = h
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "Both", "members": [{"value": ada}, {"value": bob}]}),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let path = format!("/Groups/{}", group["id"].as_str().expect("id"));
    // One object as the value removes that member only.
    let (status, g) = h
        .patch(
            &path,
            json!([{"op": "remove", "path": "members", "value": {"value": ada}}]),
        )
        .await;
    assert_eq!(status, 200, "{g}");
    assert_eq!(g["members"], json!([{"value": bob}]), "{g}");
    // A value that names no values is refused, and changes nothing.
    let (status, err) = h
        .patch(
            &path,
            json!([{"op": "remove", "path": "members", "value": "everyone"}]),
        )
        .await;
    assert_eq!(
        (status, err["scimType"].clone()),
        (400, json!("invalidValue")),
        "{err}"
    );
    let (_, g) = h.get(&path).await;
    assert_eq!(g["members"], json!([{"value": bob}]), "{g}");

    // Removing what is not there: no new version, nothing to deliver.
    let (status, user) = h
        .post(
            "/Users",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "nameless@example.com"}),
        )
        .await;
    assert_eq!(status, 201, "{user}");
    let user_path = format!("/Users/{}", user["id"].as_str().expect("id"));
    h.settle().await;
    let ops_before = h.store.operations().await.expect("ops").len();
    for remove in [
        json!({"op": "remove", "path": "name.middleName"}),
        json!({"op": "remove", "path": "phoneNumbers[type eq \"work\"]"}),
        json!({"op": "remove", "path": "phoneNumbers[type eq \"work\"].value"}),
    ] {
        let (status, after) = h.patch(&user_path, json!([remove])).await;
        assert_eq!(status, 200, "{remove}: {after}");
        assert_eq!(after["meta"]["version"], "W/\"1\"", "{remove}: {after}");
        assert!(
            after.get("name").is_none() && after.get("phoneNumbers").is_none(),
            "{after}"
        );
    }
    assert_eq!(h.store.operations().await.expect("ops").len(), ops_before);
}
