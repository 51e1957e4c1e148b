package app

import (
	"github.com/spf13/cobra"
)

// completionCommand prints cobra's completion scripts, named the way
// kubectl and helm name them: `slipway completion powershell` (pwsh is
// an alias). The scripts ask slipway itself (cobra's hidden __complete
// command) for commands and flags, so they follow the binary.
func completionCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "completion",
		Short: "print the shell completion script: bash, zsh, fish or powershell",
		Args:  cobra.ArbitraryArgs,
		RunE:  groupAction,
		Long: `Load completions for the current shell, or install them for every session:

  bash:        source <(slipway completion bash)
               slipway completion bash > /etc/bash_completion.d/slipway
  zsh:         source <(slipway completion zsh)
               slipway completion zsh > "${fpath[1]}/_slipway"
  fish:        slipway completion fish > ~/.config/fish/completions/slipway.fish
  powershell:  slipway completion powershell | Out-String | Invoke-Expression

Release archives carry the scripts in completions/.`,
	}
	shell := func(name string, gen func(*cobra.Command) error, aliases ...string) *cobra.Command {
		return &cobra.Command{
			Use: name, Aliases: aliases, Args: noArgs,
			Short: "print the " + name + " completion script",
			RunE: func(cmd *cobra.Command, _ []string) error {
				return gen(cmd.Root())
			},
		}
	}
	c.AddCommand(
		shell("bash", func(r *cobra.Command) error { return r.GenBashCompletionV2(r.OutOrStdout(), true) }),
		shell("zsh", func(r *cobra.Command) error { return r.GenZshCompletion(r.OutOrStdout()) }),
		shell("fish", func(r *cobra.Command) error { return r.GenFishCompletion(r.OutOrStdout(), true) }),
		shell("powershell", func(r *cobra.Command) error { return r.GenPowerShellCompletionWithDesc(r.OutOrStdout()) }, "pwsh"),
	)
	return c
}

// noArgs refuses arguments to a command that takes none.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError("%s takes no arguments, got %q", cmd.CommandPath()[len("slipway "):], args[0])
	}
	return nil
}
