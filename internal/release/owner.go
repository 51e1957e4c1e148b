package release

import (
	"fmt"

	"github.com/slipway-dev/slipway/internal/kube"
)

// Foreign says why a release that exists was not installed by slipway
// for component, or "" when it was (or does not exist). The rule: slipway
// sets the label slipway.dev/component=<component> on every revision it
// installs or upgrades (and a rollback keeps the labels), so a release
// whose latest revision lacks it was made by someone else (helm install
// by hand, another tool), even if the inventory names it. up upgrades
// such a release only with --adopt; down and credentials rotate never
// touch it (issue 17, item 6).
func Foreign(info *Info, component string) string {
	if info == nil || info.Labels[kube.LabelComponent] == component {
		return ""
	}
	return fmt.Sprintf("release %s/%s (component %s) was not installed by slipway: its Helm release lacks the label %s=%s", info.Namespace, info.Name, component, kube.LabelComponent, component)
}
