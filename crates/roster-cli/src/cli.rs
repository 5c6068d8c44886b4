//! The command line, as clap parses it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Manage users, tenants and memberships on every provider at once.
#[derive(Debug, Parser)]
#[command(
    name = "roster",
    version,
    about = "Manage users, tenants and memberships on every provider at once.",
    after_help = concat!(
        "Start with `roster whoami`. Try it with no account: `roster emulator --all`.\n\n",
        "Exit codes: 0 success · 1 error (usage errors too) · 2 changes or drift\n",
        "present · 3 partial failure: some providers failed (takes precedence over 2)"
    ),
    disable_help_subcommand = true
)]
pub struct Cli {
    /// The shared options.
    #[command(flatten)]
    pub global: Global,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Output format: aligned tables, or JSON (one object per line).
    #[arg(short, long, value_enum, default_value_t = Format::Table, global = true)]
    pub output: Format,
    /// The fleet config [default: $ROSTER_CONFIG, then ./roster.toml].
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// More logs on stderr (-v info, -vv one line per HTTP call); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    // Aligned text for people.
    Table,
    // One JSON object per line (see the crate's JSON.md).
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what apply would change to match the desired state.
    #[command(after_help = "Example: roster plan --provider iaas --out plan.json")]
    Plan(PlanArgs),
    /// Make the changes: from a saved plan, or planned now.
    #[command(
        after_help = "Examples:\n  roster apply plan.json\n  roster apply --auto-approve \
        --parallelism 4\n  roster apply roster-journal.json   (after Ctrl-C: the rest)"
    )]
    Apply(ApplyArgs),
    /// Show where people have accounts, with role, status and tenants.
    #[command(after_help = "Example: roster audit alice@example.com -o json")]
    Audit(AuditArgs),
    /// Remove people from every provider.
    #[command(
        after_help = "Examples:\n  roster offboard leaver@example.com --dry-run\n  \
        roster offboard --from-file leavers.txt --yes\n\n\
        Exit 3 when someone may keep an account: a provider failed or cannot offboard (unsupported)."
    )]
    Offboard(OffboardArgs),
    /// Give a person accounts and tenant memberships.
    #[command(
        after_help = "Example: roster onboard alice@example.com --to iaas:alpha \
        --wireguard-key-file alice.pub --to netbird:devs:admin"
    )]
    Onboard(OnboardArgs),
    /// Move a person from one tenant to another on one provider.
    #[command(after_help = "Example: roster move alice@example.com --provider iaas \
        --from alpha --to beta")]
    Move(MoveArgs),
    /// Check each provider's credentials: who they are, what they can do.
    #[command(after_help = "Example: roster whoami --provider netbird")]
    Whoami(ProviderFilter),
    /// List users, streaming as pages arrive.
    #[command(subcommand)]
    Users(UsersCommand),
    /// List tenants, streaming as pages arrive.
    #[command(subcommand)]
    Tenants(TenantsCommand),
    /// List a tenant's members.
    #[command(subcommand)]
    Members(MembersCommand),
    /// Write the providers' current state as a desired-state file.
    #[command(after_help = "Example: roster import --provider iaas --out desired-state.toml")]
    Import(ImportArgs),
    /// Compare the providers with the desired state; exit 2 on drift.
    #[command(after_help = "Example (a scheduled job): roster drift -o json")]
    Drift(DriftArgs),
    /// Serve the testkit emulators, to try every command with no account.
    #[command(after_help = "Example: roster emulator --all --write-config roster.toml")]
    Emulator(EmulatorArgs),
    /// The SCIM 2.0 service an identity provider pushes to (serve, status, retry).
    #[command(
        subcommand,
        after_help = "Example: roster scim serve --config roster-scim.toml"
    )]
    Scim(roster_scim::cli::ScimCommand),
    /// Print a shell completion script.
    #[command(after_help = "Example: roster completions bash > /etc/bash_completion.d/roster")]
    Completions(CompletionsArgs),
}

/// `--provider`, repeatable.
#[derive(Debug, Args, Clone, Default)]
pub struct ProviderFilter {
    /// Only this provider (by its config name); repeatable [default: all].
    #[arg(long = "provider", value_name = "NAME")]
    pub providers: Vec<String>,
}

/// Where the desired state is, and what to do about an unreachable provider.
#[derive(Debug, Args, Clone)]
pub struct DesiredArgs {
    /// The desired-state file (TOML, or JSON for `.json`).
    #[arg(
        short = 'f',
        long = "desired",
        value_name = "FILE",
        env = "ROSTER_DESIRED",
        default_value = "desired-state.toml"
    )]
    pub desired: PathBuf,
    /// Go on without providers that cannot be reached (connection,
    /// timeout, 5xx): list them, exit 3.
    #[arg(long)]
    pub skip_unreachable: bool,
    /// The providers.
    #[command(flatten)]
    pub filter: ProviderFilter,
}

/// `roster plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The desired state and providers.
    #[command(flatten)]
    pub desired: DesiredArgs,
    /// Save the plan (with each provider's fingerprint) for `roster apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 0 for no changes, 2 for changes, 1 for an error.
    #[arg(long)]
    pub detailed_exitcode: bool,
}

/// What apply does after a failed change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnErrorArg {
    // Skip the rest of that provider's changes.
    Stop,
    // Go on with every other change.
    Continue,
}

/// `roster apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved by `roster plan --out`, or a journal an interrupted
    /// apply wrote; without it, plan now from the desired state.
    // Not `conflicts_with = "desired"`: clap counts $ROSTER_DESIRED as
    // given, so the exported variable would break `roster apply PLAN`;
    // `desired_on_command_line` refuses only a typed `--desired`.
    #[arg(value_name = "PLAN", conflicts_with = "providers")]
    pub plan: Option<PathBuf>,
    /// Whether `--desired` was typed (not from $ROSTER_DESIRED or the
    /// default); set by `main` from clap's value source.
    #[arg(skip)]
    pub desired_on_command_line: bool,
    /// The desired state and providers (when no PLAN is given).
    #[command(flatten)]
    pub desired: DesiredArgs,
    /// Do not ask before applying.
    #[arg(long)]
    pub auto_approve: bool,
    /// At most this many changes at once per provider.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    pub parallelism: u16,
    /// After a failed change: stop that provider, or continue.
    #[arg(long, value_enum, default_value_t = OnErrorArg::Stop)]
    pub on_error: OnErrorArg,
    /// Keep one-time secrets of created users (NetBird's generated
    /// password, its only copy) in FILE, readable by you alone.
    #[arg(long, value_name = "FILE")]
    pub one_time_secrets: Option<PathBuf>,
    /// Where an unfinished apply (Ctrl-C, failures) writes its journal.
    #[arg(long, value_name = "FILE", default_value = "roster-journal.json")]
    pub journal: PathBuf,
}

/// `roster audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The people, by email.
    #[arg(value_name = "EMAIL", required = true)]
    pub emails: Vec<String>,
    /// The providers.
    #[command(flatten)]
    pub filter: ProviderFilter,
}

/// `roster offboard`.
#[derive(Debug, Args)]
pub struct OffboardArgs {
    /// The people, by email.
    #[arg(value_name = "EMAIL", required_unless_present = "from_file")]
    pub emails: Vec<String>,
    /// Read more emails from FILE, one a line (`#` comments, blank lines ok).
    #[arg(long, value_name = "FILE")]
    pub from_file: Option<PathBuf>,
    /// Do not ask first.
    #[arg(long)]
    pub yes: bool,
    /// Show where each person is and what would be removed; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// At most this many deletes at once on each provider.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
    /// The providers.
    #[command(flatten)]
    pub filter: ProviderFilter,
}

/// Provider-specific membership data.
#[derive(Debug, Args, Clone)]
pub struct MembershipData {
    /// The WireGuard public key (the IaaS API needs one per member).
    #[arg(long, value_name = "KEY", conflicts_with = "wireguard_key_file")]
    pub wireguard_key: Option<String>,
    /// Read the WireGuard public key from FILE.
    #[arg(long, value_name = "FILE")]
    pub wireguard_key_file: Option<PathBuf>,
}

/// `roster onboard`.
#[derive(Debug, Args)]
pub struct OnboardArgs {
    /// The person, by email.
    #[arg(value_name = "EMAIL")]
    pub email: String,
    /// Where: PROVIDER, PROVIDER:TENANT or PROVIDER:TENANT:ROLE (admin or
    /// member, the tenant role); repeatable.
    #[arg(long = "to", value_name = "PROVIDER:TENANT[:ROLE]", required = true)]
    pub to: Vec<String>,
    /// Their account role on every provider named (`admin`, `member`, … or
    /// the provider's own name).
    #[arg(long, value_name = "ROLE")]
    pub role: Option<String>,
    /// Their display name, where the provider keeps one.
    #[arg(long, value_name = "NAME")]
    pub display_name: Option<String>,
    /// Membership data.
    #[command(flatten)]
    pub data: MembershipData,
    /// Keep one-time secrets of created users (NetBird's generated
    /// password) in FILE, mode 0600; never printed.
    #[arg(long, value_name = "FILE")]
    pub one_time_secrets: Option<PathBuf>,
}

/// `roster move`.
#[derive(Debug, Args)]
pub struct MoveArgs {
    /// The person, by email.
    #[arg(value_name = "EMAIL")]
    pub email: String,
    /// The provider (its config name).
    #[arg(long, value_name = "NAME")]
    pub provider: String,
    /// The tenant they leave, by name.
    #[arg(long, value_name = "TENANT")]
    pub from: String,
    /// The tenant they join, by name.
    #[arg(long, value_name = "TENANT")]
    pub to: String,
    /// Membership data for the new tenant.
    #[command(flatten)]
    pub data: MembershipData,
}

/// `roster users`.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// List every user of each provider.
    #[command(after_help = "Example: roster users list --provider iaas -o json | jq .email")]
    List(ProviderFilter),
}

/// `roster tenants`.
#[derive(Debug, Subcommand)]
pub enum TenantsCommand {
    /// List every tenant of each provider.
    #[command(after_help = "Example: roster tenants list -o json")]
    List(ProviderFilter),
}

/// `roster members`.
#[derive(Debug, Subcommand)]
pub enum MembersCommand {
    /// List the members of TENANT (by name, or id) on each provider that has it.
    #[command(after_help = "Example: roster members list alpha --provider iaas")]
    List(MembersListArgs),
}

/// `roster members list`.
#[derive(Debug, Args)]
pub struct MembersListArgs {
    /// The tenant, by name (or id).
    #[arg(value_name = "TENANT")]
    pub tenant: String,
    /// The providers.
    #[command(flatten)]
    pub filter: ProviderFilter,
}

/// `roster import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Import this provider (its config name); repeatable [default: all].
    #[arg(long = "provider", value_name = "NAME")]
    pub providers: Vec<String>,
    /// Write the desired state to FILE (TOML, or JSON for `.json`) rather
    /// than to stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `roster drift`.
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// The desired state and providers.
    #[command(flatten)]
    pub desired: DesiredArgs,
}

/// `roster emulator`.
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// The provider to serve (iaas, netbird, adverity, astra, medium-one).
    #[arg(value_name = "PROVIDER", required_unless_present = "all")]
    pub provider: Option<String>,
    /// Serve every provider, each on its own port.
    #[arg(long, conflicts_with = "provider")]
    pub all: bool,
    /// The first port (0 picks free ones; with --all: N, N+1, …).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub port: u16,
    /// Preload users, tenants and memberships (JSON, or TOML for `.toml`).
    #[arg(long, value_name = "FILE")]
    pub seed: Option<String>,
    /// Write the state there on exit.
    #[arg(long, value_name = "FILE")]
    pub dump: Option<String>,
    /// Answer as a real server does beyond the docs.
    #[arg(long)]
    pub faithful: bool,
    /// The API token the token providers accept.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// The login Medium One accepts.
    #[arg(long, value_name = "ID")]
    pub login: Option<String>,
    /// The password Medium One accepts.
    #[arg(long, value_name = "PW")]
    pub password: Option<String>,
    /// The API key Medium One accepts.
    #[arg(long, value_name = "KEY")]
    pub api_key: Option<String>,
    /// Write a fleet config pointing at the emulators to FILE.
    #[arg(long, value_name = "FILE")]
    pub write_config: Option<PathBuf>,
}

/// `roster completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
