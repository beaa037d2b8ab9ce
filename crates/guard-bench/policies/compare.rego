# The comparison subset of guard's standard library, in Rego (rego.v1), for Regorus.
#
# Each `matched` rule below is the translation of one rule of `crates/guard-bench/policies/*.guard`,
# which are themselves copied from the shipped `policies/*.guard`; the comment above each one
# names it. The simplifications, applied identically in all three languages (guard, this file,
# compare.cedar), are:
#   - config.protected: the environment is compared as given, not lowercased (Cedar has no
#     `lower`); prefixes by `startswith` (Cedar: `like "prefix*"`).
#   - bulk.k8s_delete_all: the "a name holds `$(` or a backtick" branch is dropped.
#   - bulk.redis_flush: only the flushall/flushdb/swapdb branch; the EVAL regex branch and the
#     `DEL … via xargs` substring branch are dropped.
#   - exfil.send_to_untrusted_host: hosts compared as given against `trusted_hosts` only (no
#     `trusted_host_suffixes`); `uploads` keeps only its flag test (its argument regexes are
#     dropped); the "an argument holds `$(` or a backtick" branch is dropped.
#   - privesc.grant_to_public, grant_all_privileges, superuser_grant: no `lower(…)`;
#     superuser_grant drops its MySQL-account branch (a role starting with one of
#     `privileged_account_prefixes`).
#   - audit.shell_history_tamper: the `history` argument regex and the `env`/`sudo VAR=…`
#     branch are dropped; "an argument starts with a history variable" becomes "is one".
#   - audit.audit_service_stop: "a unit starts with an audit unit" becomes "is one".
#   - audit.audit_process_tamper: kill targets must equal an audit unit; the auditctl flag
#     regex, the `never,` branch and the MySQL --init-command regex branch are dropped.
#   - disk.rm_system_paths: only `rm`/`srm`/`wipe` with a recursive flag, onto a system
#     directory or with --no-preserve-root (no regex, find, rsync, chmod, mv, shred, prefixes,
#     piped_to branches).
#   - remote_code.download_to_interpreter: `inline_program` loses its flag-cluster regex.
#   - opaque.needs_approval: the read-only client command exemption (two regexes) is dropped.
# Unchanged translations: sql.destructive.no_drop, no_truncate, no_drop_column, dynamic_sql,
# k8s_destroy, helm_uninstall, terraform_destroy; bulk.delete_without_where,
# update_without_where; exfil.copy_program, server_file_functions; audit.alter_system;
# remote_code.decoded_exec.
#
# Input: {"request": <guard Request as JSON>, "actions": [<guard Action as JSON>, …]}, i.e.
# exactly what `guard explain --format json` shows. Entry point: `data.guard.compare.verdict`,
# {"decision": "deny" | "require_approval" | "allow", "rules": {rule ids}}.
package guard.compare

import rego.v1

# The sets of config.guard, loaded once as `data.config` from config.json (as Rego sets: the
# harness converts the JSON arrays), as OPA policies keep their data apart from their logic.
import data.config

# ---- config.protected ----

protected if input.request.target.env in config.protected_envs

protected if {
	some p in config.protected_env_prefixes
	startswith(input.request.target.env, p)
}

# ---- sql.destructive ----

# sql.destructive.no_drop (unchanged)
matched contains ["sql.destructive.no_drop", "deny"] if {
	protected
	some a in input.actions
	a.kind == "sql"
	a.statement == "drop"
	not a.temporary
}

# sql.destructive.no_truncate (unchanged)
matched contains ["sql.destructive.no_truncate", "deny"] if {
	protected
	some a in input.actions
	a.kind == "sql"
	a.statement == "truncate"
	not a.temporary
}

# sql.destructive.no_drop_column (unchanged)
matched contains ["sql.destructive.no_drop_column", "deny"] if {
	protected
	some a in input.actions
	a.kind == "sql"
	a.statement == "alter"
	some op in a.operations
	op in {"drop_column", "drop_partition", "truncate_partition", "drop_columns", "discard_tablespace"}
	not a.temporary
}

# sql.destructive.dynamic_sql (unchanged)
matched contains ["sql.destructive.dynamic_sql", "require_approval"] if {
	protected
	some a in input.actions
	a.kind == "sql"
	a.statement == "do"
}

# sql.destructive.k8s_destroy (unchanged)
matched contains ["sql.destructive.k8s_destroy", "deny"] if {
	protected
	some a in input.actions
	a.kind == "k8s"
	a.verb == "delete"
	a.resource in config.k8s_destructive_resources
}

# sql.destructive.helm_uninstall (unchanged)
matched contains ["sql.destructive.helm_uninstall", "require_approval"] if {
	protected
	some a in input.actions
	a.kind == "k8s"
	a.tool == "helm"
	a.verb in {"uninstall", "delete", "del", "un"}
}

# sql.destructive.terraform_destroy (unchanged)
matched contains ["sql.destructive.terraform_destroy", "deny"] if {
	protected
	some a in input.actions
	a.kind == "terraform"
	a.destroy
	a.subcommand != "plan"
}

# ---- bulk ----

# bulk.delete_without_where (unchanged)
matched contains ["bulk.delete_without_where", "deny"] if {
	protected
	some a in input.actions
	a.kind == "sql"
	a.statement == "delete"
	not a.effective_where
	not a.temporary
}

# bulk.update_without_where (unchanged)
matched contains ["bulk.update_without_where", "require_approval"] if {
	protected
	some a in input.actions
	a.kind == "sql"
	a.statement in {"update", "merge"}
	not a.effective_where
	not a.temporary
}

# bulk.k8s_delete_all (simplified, see the header)
matched contains ["bulk.k8s_delete_all", "deny"] if {
	protected
	some a in input.actions
	a.kind == "k8s"
	k8s_delete_all(a)
}

k8s_delete_all(a) if {
	a.verb in {"delete", "scale", "drain", "cordon", "annotate", "label", "patch", "replace"}
	k8s_every_object(a)
}

k8s_delete_all(a) if {
	a.verb == "delete"
	a.resource == "all"
}

k8s_delete_all(a) if {
	a.verb == "delete"
	count(a.names) == 0
	"xargs" in a.via
}

k8s_every_object(a) if a.all

k8s_every_object(a) if a.all_namespaces

# bulk.redis_flush (simplified, see the header)
matched contains ["bulk.redis_flush", "deny"] if {
	protected
	some a in input.actions
	a.kind == "redis"
	a.command in {"flushall", "flushdb", "swapdb"}
}

# ---- exfil ----

# exfil.copy_program (unchanged)
matched contains ["exfil.copy_program", "deny"] if {
	protected
	some a in input.actions
	a.kind == "sql"
	a.copy == "program"
}

# exfil.server_file_functions (unchanged)
matched contains ["exfil.server_file_functions", "deny"] if {
	protected
	some a in input.actions
	a.kind == "sql"
	some f in a.functions
	f in config.server_file_functions
}

# exfil.send_to_untrusted_host (simplified, see the header)
matched contains ["exfil.send_to_untrusted_host", "deny"] if {
	protected
	some a in input.actions
	a.kind == "exec"
	network_or_sends(a)
	carries_data(a)
	some h in a.hosts
	not h in config.trusted_hosts
	not a.program in config.dns_tools
}

network_or_sends(a) if a.program in config.network_tools

network_or_sends(a) if count(a.sends) > 0

carries_data(a) if count(a.sends) > 0

carries_data(a) if count(a.piped_from) > 0

carries_data(a) if count(a.reads) > 0

carries_data(a) if {
	some f in a.flags
	f in {"upload-file", "T", "post-file", "body-file"}
}

# ---- privesc ----

# privesc.grant_to_public (without lower)
matched contains ["privesc.grant_to_public", "deny"] if {
	protected
	some a in input.actions
	a.kind == "sql"
	a.statement != "revoke"
	"public" in a.grantees
}

# privesc.grant_all_privileges (without lower)
matched contains ["privesc.grant_all_privileges", "require_approval"] if {
	protected
	some a in input.actions
	a.kind == "sql"
	a.statement == "grant"
	some p in a.privileges
	p in {"all", "all privileges", "all_privileges"}
}

# privesc.superuser_grant (without lower)
matched contains ["privesc.superuser_grant", "deny"] if {
	protected
	some a in input.actions
	a.kind == "sql"
	a.statement in {"create", "alter", "grant"}
	superuser_power(a)
	not create_without_attribute(a)
}

superuser_power(a) if privileged_attribute(a)

superuser_power(a) if {
	some r in a.roles
	r in config.privileged_roles
}

privileged_attribute(a) if {
	some p in a.privileges
	p in config.privileged_attributes
}

create_without_attribute(a) if {
	a.statement == "create"
	not privileged_attribute(a)
}

# ---- audit ----

# audit.shell_history_tamper (simplified, see the header)
matched contains ["audit.shell_history_tamper", "deny"] if {
	protected
	some a in input.actions
	a.kind == "exec"
	history_tamper(a)
}

history_tamper(a) if {
	a.program == "history"
	some f in a.flags
	f in {"c", "d", "clear", "delete"}
}

history_tamper(a) if {
	a.program in {
		"unset", "export", "set", "declare", "typeset",
		"readonly", "local", "setopt", "unsetopt", "shopt",
	}
	some x in a.args
	x in config.history_vars
}

# audit.audit_service_stop (simplified, see the header)
matched contains ["audit.audit_service_stop", "deny"] if {
	protected
	some a in input.actions
	a.kind == "service"
	a.verb in {
		"stop", "disable", "mask", "kill", "unload",
		"disable-rules", "delete-rules", "off", "halt", "freeze",
	}
	audit_recorder(a)
}

audit_recorder(a) if a.manager == "auditctl"

audit_recorder(a) if {
	some u in a.units
	u in config.audit_units
}

# audit.audit_process_tamper (simplified, see the header)
matched contains ["audit.audit_process_tamper", "deny"] if {
	protected
	some a in input.actions
	a.kind == "exec"
	process_tamper(a)
}

process_tamper(a) if {
	a.program in {"pkill", "killall", "kill", "skill"}
	some x in a.args
	x in config.audit_units
	not reopen_signal(a)
}

process_tamper(a) if {
	a.program == "auditctl"
	some x in a.args
	x in {"-D", "-e0", "--delete-all"}
}

process_tamper(a) if {
	a.program == "auditctl"
	"-e" in a.args
	"0" in a.args
}

process_tamper(a) if {
	a.program == "vault"
	"audit" in a.args
	some x in a.args
	x in {"disable", "remove"}
}

process_tamper(a) if {
	a.program in config.audit_units
	init_script(a)
	some x in a.args
	x in {"stop", "force-stop", "disable", "kill", "off"}
}

process_tamper(a) if {
	a.program in {
		"systemctl", "service", "rc-service", "update-rc.d",
		"chkconfig", "launchctl", "supervisorctl", "sv", "invoke-rc.d",
	}
	some x in a.args
	x in {"stop", "disable", "mask", "kill", "off", "remove"}
	some y in a.args
	y in config.audit_units
}

init_script(a) if startswith(a.path, "/etc/init.d/")

init_script(a) if startswith(a.path, "/etc/rc.d/")

reopen_signal(a) if {
	some x in a.args
	x in {"-HUP", "-SIGHUP", "-1", "HUP", "SIGHUP", "-USR1", "-SIGUSR1", "USR1", "-USR2", "-SIGUSR2"}
}

# audit.alter_system (unchanged)
matched contains ["audit.alter_system", "require_approval"] if {
	protected
	some a in input.actions
	a.kind == "sql"
	a.object == "system"
}

# ---- disk ----

# disk.rm_system_paths (simplified, see the header)
matched contains ["disk.rm_system_paths", "deny"] if {
	protected
	some a in input.actions
	a.kind == "exec"
	destroys_recursively(a)
	system_target(a)
}

destroys_recursively(a) if {
	a.program in {"rm", "srm", "wipe"}
	some f in a.flags
	f in {"recursive", "r", "R"}
}

system_target(a) if "--no-preserve-root" in a.args

system_target(a) if {
	some p in a.paths
	p in config.system_dirs
}

# ---- remote_code ----

# remote_code.download_to_interpreter (simplified inline_program, see the header)
matched contains ["remote_code.download_to_interpreter", "deny"] if {
	protected
	some a in input.actions
	a.kind == "exec"
	interpreter(a)
	some p in a.piped_from
	p in config.downloaders
	not inline_program(a)
}

interpreter(a) if a.program in config.shells

interpreter(a) if a.program in config.interpreters

inline_program(a) if {
	not a.program in config.shells
	some x in a.args
	x in {"-c", "-e", "-E", "-m", "-r", "-n", "-p", "--eval", "--command"}
}

inline_program(a) if {
	a.program in {"awk", "gawk", "mawk", "nawk"}
	not "-f" in a.args
}

# remote_code.decoded_exec (unchanged)
matched contains ["remote_code.decoded_exec", "deny"] if {
	protected
	some a in input.actions
	a.kind == "opaque"
	a.cause == "decoded_exec"
}

# ---- opaque ----

# opaque.needs_approval (simplified, see the header)
matched contains ["opaque.needs_approval", "require_approval"] if {
	protected
	some a in input.actions
	a.kind == "opaque"
	a.cause != "decoded_exec"
}

# ---- The decision: the strongest effect of any match, else the default (allow). ----
# Written with `default` rather than an `else :=` chain: regorus 0.14.1's RVM returns undefined
# for the chain's final `else := "allow"` (its interpreter returns "allow"); this form gives the
# same result on both.

denied if {
	some m in matched
	m[1] == "deny"
}

needs_approval if {
	some m in matched
	m[1] == "require_approval"
}

default decision := "allow"

decision := "deny" if denied

decision := "require_approval" if {
	needs_approval
	not denied
}

verdict := {"decision": decision, "rules": {m[0] | some m in matched}}
