// Package values owns chart values as slipway handles them: merging
// layers (profile defaults, generated settings, -f files, --set), setting
// and reading a dotted path, and parsing the user's --set and -f flags,
// which are filed per component (the part before the first '.' or '=')
// and otherwise read exactly as Helm reads them (strvals, sigs.k8s.io/yaml).
//
// It is pure but for reading the -f files the user named.
package values
