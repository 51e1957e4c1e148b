package app

import (
	"github.com/urfave/cli/v3"
)

// configureCompletion shows urfave/cli's completion command in --help
// (it is hidden by default) and names its PowerShell script the way
// kubectl and helm do: `slipway completion powershell` (pwsh stays as an
// alias).
func configureCompletion(c *cli.Command) {
	c.Hidden = false
	c.Action = groupAction
	c.Usage = "print the shell completion script: bash, zsh, fish or powershell"
	c.Description = `Load completions for the current shell, or install them for every session:

  bash:        source <(slipway completion bash)
               slipway completion bash > /etc/bash_completion.d/slipway
  zsh:         source <(slipway completion zsh)
               slipway completion zsh > "${fpath[1]}/_slipway"
  fish:        slipway completion fish > ~/.config/fish/completions/slipway.fish
  powershell:  slipway completion powershell | Out-String | Invoke-Expression

Release archives carry the scripts in completions/.`
	for _, sub := range c.Commands {
		if sub.Name == "pwsh" {
			sub.Name, sub.Aliases = "powershell", []string{"pwsh"}
			sub.Usage = "print the powershell completion script"
		}
	}
}
