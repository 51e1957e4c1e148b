package release

// ChartMeta is the part of a chart's Chart.yaml that checks before an
// install need.
type ChartMeta struct {
	Name, Version string
	KubeVersion   string // the Kubernetes versions the chart supports, "" for any
}

// LoadMeta reads the metadata of the chart at path (a directory or .tgz).
func LoadMeta(path string) (ChartMeta, error) {
	ch, err := loadChart(path)
	if err != nil {
		return ChartMeta{}, err
	}
	return ChartMeta{Name: ch.Metadata.Name, Version: ch.Metadata.Version, KubeVersion: ch.Metadata.KubeVersion}, nil
}
