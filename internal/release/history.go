package release

import (
	"os"
	"strconv"
)

// maxHistory is how many revisions of a release an upgrade keeps: Helm's
// $HELM_MAX_HISTORY when it is a number (0: no limit, as for Helm), else
// 10, Helm's own default. A value that is not a number is ignored, as Helm
// ignores it.
func maxHistory() int {
	if n, err := strconv.Atoi(os.Getenv("HELM_MAX_HISTORY")); err == nil && n >= 0 {
		return n
	}
	return 10
}
