package profile

// APIVersion and Kind identify a profile document.
const (
	APIVersion = "slipway.dev/v1alpha1"
	Kind       = "Profile"
)

// Profile is one version of a profile.
type Profile struct {
	APIVersion  string            `json:"apiVersion" yaml:"apiVersion"`
	Kind        string            `json:"kind" yaml:"kind"`
	Name        string            `json:"name" yaml:"name"`
	Version     string            `json:"version" yaml:"version"`
	Description string            `json:"description" yaml:"description"`
	Choices     map[string]string `json:"choices,omitempty" yaml:"choices"`
	Components  []Component       `json:"components" yaml:"components"`

	// File is where the profile was read from (for messages).
	File string `json:"-" yaml:"-"`
	// Dir is the directory relative chart paths resolve against; empty for
	// embedded profiles, whose chart paths name slipway's own charts.
	Dir string `json:"-" yaml:"-"`
}

// Component is one Helm release of the platform.
type Component struct {
	Name         string   `json:"name" yaml:"name"`
	Group        string   `json:"group,omitempty" yaml:"group"`
	Option       string   `json:"option,omitempty" yaml:"option"`
	IngressClass string   `json:"ingressClass,omitempty" yaml:"ingressClass"`
	Chart        Chart    `json:"chart" yaml:"chart"`
	Namespace    string   `json:"namespace" yaml:"namespace"`
	Release      string   `json:"release,omitempty" yaml:"release"`
	Needs        []string `json:"needs,omitempty" yaml:"needs"`
	// DependentsStart says when the components that need this one may
	// start: "ready" (the default: once its workloads are Ready),
	// "installed" (once its release is applied) or "started" (with it).
	// "started" suits a component others only refer to by name, such as
	// an ingress controller whose IngressClass their Ingresses name: the
	// need then only orders the plan and carries the name. "installed"
	// suits one whose objects must exist first; keep "ready" when
	// dependents call it while installing (an admission webhook) or use
	// what it installs (CRDs its controller registers).
	DependentsStart string         `json:"dependentsStart,omitempty" yaml:"dependentsStart"`
	Values          map[string]any `json:"values,omitempty" yaml:"values"`
	Host            *Host          `json:"host,omitempty" yaml:"host"`
	Credentials     *Credentials   `json:"credentials,omitempty" yaml:"credentials"`
	// Secrets are Secrets the chart reads but leaves to someone else to
	// create, each holding one random value (e.g. Argo CD's Redis
	// password, which its chart otherwise makes in a pre-install hook Job
	// that every install waits for).
	Secrets []GeneratedSecret `json:"secrets,omitempty" yaml:"secrets"`
	Warning string            `json:"warning,omitempty" yaml:"warning"`
	// EnabledBy names a flag without which the component is left out:
	// "gitops-repo" (installed only when --gitops-repo is given).
	EnabledBy string `json:"enabledBy,omitempty" yaml:"enabledBy"`
	// Registry marks the component as the platform's in-cluster image
	// registry (default@1.4.0): the sample pipeline pushes to it and the
	// nodes pull from it.
	Registry *Registry `json:"registry,omitempty" yaml:"registry"`
	// Pipeline says how the CI server's sample pipeline is told where to
	// push, and what its build pod asks for (default@1.4.0).
	Pipeline *Pipeline `json:"pipeline,omitempty" yaml:"pipeline"`
}

// Registry is an in-cluster image registry installed by the component's
// chart. Its one name, used to push, to pull and in printed references,
// is <release>.<namespace>.svc.cluster.local:<port>.
type Registry struct {
	Port int `json:"port" yaml:"port"`
}

// Pipeline is the sample pipeline of a CI server component. slipway sets
// the push destination in entries of the env list at EnvPath (a list of
// {name, value}, such as the Jenkins chart's controller.containerEnv): an
// env change changes the pod template, so Jenkins restarts and JCasC
// reads the new values.
type Pipeline struct {
	EnvPath string `json:"envPath" yaml:"envPath"`
	// SecretName is the docker-registry Secret slipway creates in the
	// component's namespace from --registry-username/--registry-password.
	SecretName string `json:"secretName" yaml:"secretName"`
	// ImageEnv are the env entries naming images the pipeline's pod runs
	// (build and builder): `bundle images` lists their values.
	ImageEnv []string `json:"imageEnv,omitempty" yaml:"imageEnv"`
	// Requests are what one pipeline pod requests, all its containers
	// together (the agent's jnlp container included); preflight counts
	// them as one more pod.
	Requests Requests `json:"requests" yaml:"requests"`
}

// Requests are a pod's resource requests.
type Requests struct {
	CPU    string `json:"cpu" yaml:"cpu"`
	Memory string `json:"memory" yaml:"memory"`
}

// DependentsStart values.
const (
	StartWhenReady     = "ready"
	StartWhenInstalled = "installed"
	StartWithIt        = "started"
)

// EnabledByFlags are the values EnabledBy accepts.
// "in-cluster-registry" is on unless --registry names another registry
// (and --in-cluster-registry does not keep it).
var EnabledByFlags = []string{"gitops-repo", "in-cluster-registry"}

// Chart says where a component's chart comes from: exactly one of a
// classic repository (Repo and Name), an OCI reference, or a local Path.
type Chart struct {
	Repo    string `json:"repo,omitempty" yaml:"repo"`
	Name    string `json:"name,omitempty" yaml:"name"`
	OCI     string `json:"oci,omitempty" yaml:"oci"`
	Path    string `json:"path,omitempty" yaml:"path"`
	Version string `json:"version" yaml:"version"` // Masterminds semver constraint
}

// Host is how a component is exposed on the ingress.
type Host struct {
	Prefix     string   `json:"prefix" yaml:"prefix"`
	Paths      []string `json:"paths,omitempty" yaml:"paths"`           // values paths receiving the hostname
	ClassPaths []string `json:"classPaths,omitempty" yaml:"classPaths"` // values paths receiving the ingress class
	// URLPaths receive the URL slipway prints for the component
	// (http://<hostname>), for charts that tell the application where it
	// is reached: links it renders, redirects, notifications. A chart
	// that derives its URL from the hostname guesses the scheme (Argo CD
	// 10 always says https), so the URL is given whole.
	URLPaths []string `json:"urlPaths,omitempty" yaml:"urlPaths"`
}

// Credentials declare an admin login slipway generates and owns.
type Credentials struct {
	Username    string `json:"username" yaml:"username"`
	SecretName  string `json:"secretName,omitempty" yaml:"secretName"`
	UsernameKey string `json:"usernameKey,omitempty" yaml:"usernameKey"`
	PasswordKey string `json:"passwordKey,omitempty" yaml:"passwordKey"`
	Length      int    `json:"length,omitempty" yaml:"length"`
	Digits      int    `json:"digits,omitempty" yaml:"digits"`
	Symbols     int    `json:"symbols,omitempty" yaml:"symbols"`
	Inject      Inject `json:"inject" yaml:"inject"`
}

// GeneratedSecret is a Secret slipway creates in the component's namespace
// before the install, with one key holding a random value, only if no
// Secret of that name exists: a value made once (by slipway or by whatever
// made it before) is kept across runs. It is internal to the component:
// never printed, not part of its credentials.
type GeneratedSecret struct {
	Name   string `json:"name" yaml:"name"`
	Key    string `json:"key" yaml:"key"`
	Length int    `json:"length,omitempty" yaml:"length"`
}

// Inject says how the chart consumes the credentials: values paths that
// receive the Secret's name and keys (charts that take a Secret), or a
// bcrypt hash of the password and its mtime (charts that take a hash).
type Inject struct {
	ExistingSecret []string `json:"existingSecret,omitempty" yaml:"existingSecret"`
	UsernameKey    []string `json:"usernameKey,omitempty" yaml:"usernameKey"`
	PasswordKey    []string `json:"passwordKey,omitempty" yaml:"passwordKey"`
	Bcrypt         []string `json:"bcrypt,omitempty" yaml:"bcrypt"`
	BcryptMtime    []string `json:"bcryptMtime,omitempty" yaml:"bcryptMtime"`
}

// Credential defaults.
const (
	DefaultLength = 24
	MinLength     = 16
	// MaxLength is the longest admin password: bcrypt reads at most 72
	// bytes, and a longer password, once stored, fails every later up
	// of a chart that takes a hash. It holds for every component, not
	// only today's bcrypt ones, so a password stays usable if a chart
	// moves to a hash.
	MaxLength      = 72
	DefaultDigits  = 4
	DefaultSymbols = 2
	// DefaultSecretLength is the length of a generated internal value.
	DefaultSecretLength = 32
)

// ApplyDefaults fills in what a profile may leave out.
func (p *Profile) ApplyDefaults() {
	for i := range p.Components {
		c := &p.Components[i]
		if c.Release == "" {
			c.Release = c.Name
		}
		for j := range c.Secrets {
			if c.Secrets[j].Length == 0 {
				c.Secrets[j].Length = DefaultSecretLength
			}
		}
		if cr := c.Credentials; cr != nil {
			if cr.Username == "" {
				cr.Username = "admin"
			}
			if cr.SecretName == "" {
				cr.SecretName = "slipway-" + c.Name + "-admin"
			}
			if cr.UsernameKey == "" {
				cr.UsernameKey = "username"
			}
			if cr.PasswordKey == "" {
				cr.PasswordKey = "password"
			}
			if cr.Length == 0 {
				cr.Length = DefaultLength
			}
			if cr.Digits == 0 {
				cr.Digits = DefaultDigits
			}
			if cr.Symbols == 0 {
				cr.Symbols = DefaultSymbols
			}
		}
	}
}
