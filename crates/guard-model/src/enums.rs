//! Closed enumerations of the schema. Each has a stable snake_case name per variant, used in
//! policies (`stmt.kind in {drop, truncate}`), in JSON and in bundles.

/// Declares a closed enum with stable names, `ALL`, `name()` and `from_name()`.
macro_rules! closed_enum {
    ($(#[$meta:meta])* $name:ident, $type_name:literal { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        #[derive(serde::Serialize, serde::Deserialize)]
        pub enum $name {
            #[default]
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The enum's name in the policy language's type system.
            pub const TYPE_NAME: &'static str = $type_name;

            /// The variant's stable name.
            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The variant with that stable name.
            pub fn from_name(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }

            /// Index of the variant in [`Self::ALL`]; stable for a given schema version.
            pub fn index(self) -> u16 {
                self as u16
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

// The first variant of each enum is its default.

closed_enum!(
    /// The kind of an action; a rule `on K` sees the actions of kind K.
    ActionKind, "action_kind" {
        /// One SQL statement.
        Sql = "sql",
        /// One executed program (a simple command after unwrapping).
        Exec = "exec",
        /// A Kubernetes API operation (`kubectl`, `helm`).
        K8s = "k8s",
        /// A cloud provider operation (`aws`, `gcloud`, `az`).
        Cloud = "cloud",
        /// A git operation.
        Git = "git",
        /// A Terraform / OpenTofu operation.
        Terraform = "terraform",
        /// A service-manager operation (`systemctl`, `service`, `auditctl`).
        Service = "service",
        /// A Redis command (`redis-cli`).
        Redis = "redis",
        /// Something guard could not understand statically.
        Opaque = "opaque",
    }
);

closed_enum!(
    /// The channel a request arrived on.
    Channel, "channel" {
        Sql = "sql",
        Shell = "shell",
    }
);

closed_enum!(
    /// SQL dialect.
    Dialect, "dialect" {
        Postgres = "postgres",
        Mysql = "mysql",
        Sqlite = "sqlite",
        Generic = "generic",
    }
);

closed_enum!(
    /// Who is asking.
    ActorKind, "actor_kind" {
        Unknown = "unknown",
        Agent = "agent",
        Human = "human",
        Service = "service",
    }
);

closed_enum!(
    /// The kind of an SQL statement.
    StatementKind, "statement_kind" {
        Other = "other",
        Select = "select",
        Insert = "insert",
        Update = "update",
        Delete = "delete",
        Merge = "merge",
        Drop = "drop",
        Truncate = "truncate",
        Alter = "alter",
        Create = "create",
        Grant = "grant",
        Revoke = "revoke",
        Copy = "copy",
        Set = "set",
        Reset = "reset",
        Show = "show",
        Explain = "explain",
        Transaction = "transaction",
        Call = "call",
        Execute = "execute",
        Prepare = "prepare",
        Deallocate = "deallocate",
        Do = "do",
        Vacuum = "vacuum",
        Analyze = "analyze",
        Lock = "lock",
        Comment = "comment",
        Use = "use",
        Load = "load",
        Reindex = "reindex",
        Cluster = "cluster",
        Refresh = "refresh",
        Listen = "listen",
        Notify = "notify",
        Discard = "discard",
    }
);

closed_enum!(
    /// The kind of object a statement acts on.
    ObjectKind, "object_kind" {
        None = "none",
        Table = "table",
        View = "view",
        MaterializedView = "materialized_view",
        Index = "index",
        Schema = "schema",
        Database = "database",
        Sequence = "sequence",
        Function = "function",
        Procedure = "procedure",
        Trigger = "trigger",
        Role = "role",
        User = "user",
        Extension = "extension",
        Type = "type",
        Column = "column",
        System = "system",
        Policy = "policy",
        Owned = "owned",
        Server = "server",
        Publication = "publication",
        Subscription = "subscription",
        EventTrigger = "event_trigger",
        Tablespace = "tablespace",
        Other = "other",
    }
);

closed_enum!(
    /// Where a `COPY` (or `SELECT … INTO OUTFILE`) sends or takes its data.
    CopyTarget, "copy_target" {
        None = "none",
        Stdout = "stdout",
        Stdin = "stdin",
        File = "file",
        Program = "program",
    }
);

closed_enum!(
    /// Why an action is opaque.
    OpaqueCause, "opaque_cause" {
        /// The text did not parse.
        ParseError = "parse_error",
        /// The program to run comes from a variable or substitution guard cannot resolve.
        DynamicProgram = "dynamic_program",
        /// Code built at run time (`eval $x`, `EXECUTE format(…)`).
        DynamicCode = "dynamic_code",
        /// Decoded or downloaded data fed to an interpreter.
        DecodedExec = "decoded_exec",
        /// The input exceeds guard's size or nesting limits.
        TooLarge = "too_large",
        /// The input is empty, not UTF-8, or contains NUL bytes.
        InvalidInput = "invalid_input",
        /// A construct guard parses but does not analyse.
        Unsupported = "unsupported",
    }
);
