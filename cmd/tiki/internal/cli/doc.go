// Package cli is the tiki command: its command tree (cobra), its
// configuration (profiles in a YAML file, the environment variables of the
// SDK's examples, the built-in fake of --fake with its demo shop), its
// output (tables, JSON of the SDK's types, CSV), its exit codes and
// one-line errors, and its MCP server (tiki mcp), whose tools run the same
// operations as the commands.
//
// Run runs one command line with an Env (streams, environment, terminals,
// clock, configuration directory), so that tests run the command in
// process; Main runs it for the process. Writes that a dry run must not
// send go through a transport that records them instead (dryRun): the
// SDK builds and checks each request as for Tiki, so a dry run shows
// exactly what a run without it sends.
package cli
