package main

import (
	"os"

	"github.com/tikisdk/tiki/cmd/tiki/internal/cli"
)

func main() { os.Exit(cli.Main()) }
