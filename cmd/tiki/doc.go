// Command tiki runs a seller's shop on Tiki, the Vietnamese marketplace,
// from the command line, and serves the same operations to AI assistants
// as an MCP server. Every command is a thin layer over the Go SDK
// github.com/tikisdk/tiki: arguments are checked before anything is sent,
// writes are never sent twice, and calls wait for Tiki's rate limit.
//
//	go build -o tiki ./cmd/tiki   # in a clone of the repository
//	tiki --fake orders list       # against a built-in fake Tiki with demo data
//
// # Commands
//
//	orders      list (the v2 filters, --all), get, confirm (codes or --all-waiting; --dry-run),
//	            label (links, or the file), deliver (seller delivery), ship (cross border), pickup-slots
//	products    list, get, set (price, status, stock per warehouse), stock push|audit
//	stock       push FILE.csv, audit FILE.csv: the seller's books against Tiki
//	requests    create FILE (JSON or YAML), track, wait
//	catalog     search (categories), category, attributes, values, documents, brands
//	queue       list, create, subscribe, subscriptions, tail (with a checkpoint)
//	webhooks    register, listen ADDR (verifies and prints TikiNOW deliveries)
//	config      show, list, set, use, delete, login (a public app's seller), path
//	mcp         the MCP server: read tools, and write tools with --allow-writes
//	completion  a shell completion script (bash, zsh, fish, powershell)
//
// Output is a table on a terminal, or -o json (the SDK's types, one object
// per row) and -o csv (a header, one row per object) for scripts. Errors are
// one line on stderr, with Tiki's request id when it gave one; the exit code
// says what went wrong: 2 usage, 3 a value refused before anything was
// sent, 4 Tiki refused or failed, 5 no answer from Tiki (see tiki --help).
//
// # Credentials
//
// --fake, else --profile NAME (or TIKI_PROFILE) of the configuration file,
// else the environment variables the SDK's examples read
// (TIKI_CLIENT_ID and TIKI_CLIENT_SECRET, TIKI_ACCESS_TOKEN, TIKI_SELLER_KEY,
// TIKI_AUTH_STYLE, TIKI_ENV, TIKI_BASE_URL), else the file's default
// profile. Profiles are kept with tiki config set in tiki/config.yaml under
// the user's configuration directory; secrets are asked for, never given as
// flags, and never printed.
//
// The command is its own Go module (github.com/tikisdk/tiki/cmd/tiki), so
// that a program importing the SDK never depends on cobra or the MCP SDK.
// The repository's docs/cli.md is its guide.
package main
