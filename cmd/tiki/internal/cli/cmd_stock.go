package cli

import (
	"github.com/spf13/cobra"

	"github.com/tikisdk/tiki"
)

// stockCommands are the commands of the stock engine (package reconcile):
// none in this build.
func (a *app) stockCommands() []*cobra.Command { return nil }

// stockTools are the MCP tools of the stock engine: none in this build.
func (a *app) stockTools(*tiki.Client) []mcpTool { return nil }
