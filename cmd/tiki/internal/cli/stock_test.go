package cli

// stockGoldenCommands are the stock commands of the golden tests.
var stockGoldenCommands = [][]string{}
