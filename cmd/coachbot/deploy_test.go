package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kelseyhightower/envconfig"
	"go.yaml.in/yaml/v3"
)

// These tests keep the deploy kit (deploy/) honest: every file parses, every
// COACH_ variable it sets is one coachbot reads and holds a value coachbot
// accepts, the Kubernetes objects point at each other correctly, the image
// is static, distroless and non-root, and redis.conf is accepted by a real
// redis-server with the settings coachbot's data depends on.

// deployPlaceholder marks a value the operator must fill in (secret.yaml,
// configmap.yaml).
const deployPlaceholder = "replace-me"

// deployFakes stand in for the operator's values: well-formed enough to
// pass Validate, so that the rest of each configuration gets checked.
var deployFakes = map[string]string{
	"COACH_SLACK_BOT_TOKEN":      "xoxb-1-fake",
	"COACH_SLACK_SIGNING_SECRET": "fake-signing-secret",
	"COACH_SLACK_APP_TOKEN":      "xapp-1-fake",
	"COACH_DISCORD_TOKEN":        "fake.discord.token",
	"COACH_DISCORD_APP_ID":       "123456789012345678",
	"COACH_DISCORD_PUBLIC_KEY":   strings.Repeat("ab", 32),
	"COACH_REDIS_URL":            "redis://:fake-password@redis.example:6379/0",
}

// drainSeconds is how long coachbot takes to stop after SIGTERM (claims
// released, HTTP requests finished); terminationGracePeriodSeconds must
// cover it plus the preStop pause.
const drainSeconds = 7

// optionalK8sFiles are manifests deliberately left out of kustomization.yaml.
var optionalK8sFiles = []string{"ingress.yaml"}

// deployRequiredFiles are the kit's files, relative to deploy/.
var deployRequiredFiles = []string{
	"Dockerfile", "redis.conf", "compose.yaml",
	"k8s/kustomization.yaml", "k8s/configmap.yaml", "k8s/secret.yaml", "k8s/deployment.yaml",
	"k8s/service.yaml", "k8s/pdb.yaml", "k8s/redis.yaml", "k8s/README.md",
}

// ---- loading ---------------------------------------------------------------

// yamlFile is one YAML file of deploy/ and its documents.
type yamlFile struct {
	rel  string       // relative to deploy/, with slashes: "k8s/deployment.yaml"
	docs []*yaml.Node // document nodes; empty documents are left out
}

// k8sObject is one Kubernetes document of deploy/k8s.
type k8sObject struct {
	file string
	line int
	meta struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
	}
	node *yaml.Node
}

func (o k8sObject) String() string {
	return fmt.Sprintf("%s %q (deploy/%s:%d)", o.meta.Kind, o.meta.Metadata.Name, o.file, o.line)
}

// decode decodes the object into v, failing the test on a shape error.
func (o k8sObject) decode(t *testing.T, v any) {
	t.Helper()
	if err := o.node.Decode(v); err != nil {
		t.Fatalf("%s: %v", o, err)
	}
}

// deployKit is everything the tests read from deploy/.
type deployKit struct {
	dir      string               // the deploy folder
	yaml     map[string]*yamlFile // by rel
	k8s      []k8sObject          // the documents of deploy/k8s/*.yaml except kustomization.yaml
	parseErr []string             // "file: error", one per file that did not parse
}

func loadDeployKit(t *testing.T) *deployKit {
	t.Helper()
	k := &deployKit{dir: filepath.Join(moduleRoot(t), "deploy"), yaml: map[string]*yamlFile{}}
	err := filepath.WalkDir(k.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || (path.Ext(d.Name()) != ".yaml" && path.Ext(d.Name()) != ".yml") {
			return nil
		}
		r, err := filepath.Rel(k.dir, p)
		if err != nil {
			return err
		}
		r = filepath.ToSlash(r)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f := &yamlFile{rel: r}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for i := 1; ; i++ {
			var n yaml.Node
			err := dec.Decode(&n)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				k.parseErr = append(k.parseErr, fmt.Sprintf("deploy/%s: document %d: %v", r, i, err))
				break
			}
			if n.Kind == yaml.DocumentNode && len(n.Content) > 0 && !(n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null") {
				f.docs = append(f.docs, &n)
			}
		}
		k.yaml[r] = f
		return nil
	})
	if err != nil {
		t.Fatalf("reading deploy/: %v", err)
	}
	for _, r := range sortedMapKeys(k.yaml) {
		if !strings.HasPrefix(r, "k8s/") || r == "k8s/kustomization.yaml" {
			continue
		}
		for _, doc := range k.yaml[r].docs {
			o := k8sObject{file: r, line: doc.Line, node: doc.Content[0]}
			_ = o.node.Decode(&o.meta) // a non-mapping document is reported by TestDeployYAML
			k.k8s = append(k.k8s, o)
		}
	}
	return k
}

func sortedMapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// doc returns the first document of a YAML file of the kit, decoded into v.
func (k *deployKit) doc(t *testing.T, rel string, v any) {
	t.Helper()
	f := k.yaml[rel]
	if f == nil || len(f.docs) == 0 {
		t.Fatalf("deploy/%s is missing or empty", rel)
	}
	if err := f.docs[0].Decode(v); err != nil {
		t.Fatalf("deploy/%s: %v", rel, err)
	}
}

// objects returns the k8s objects of one kind.
func (k *deployKit) objects(kind string) []k8sObject {
	var out []k8sObject
	for _, o := range k.k8s {
		if o.meta.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

// one returns the only k8s object of a kind, failing otherwise.
func (k *deployKit) one(t *testing.T, kind string) k8sObject {
	t.Helper()
	objs := k.objects(kind)
	if len(objs) != 1 {
		t.Fatalf("deploy/k8s has %d objects of kind %s, want exactly 1: %v", len(objs), kind, objs)
	}
	return objs[0]
}

func (k *deployKit) read(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(k.dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("%v", err)
	}
	return string(b)
}

// ---- the shapes the tests read ----------------------------------------------

// intOrString is a Kubernetes IntOrString (a port number or name, a count
// or a percentage), kept as written.
type intOrString string

type k8sProbe struct {
	HTTPGet *struct {
		Path string      `yaml:"path"`
		Port intOrString `yaml:"port"`
	} `yaml:"httpGet"`
	Exec      *struct{ Command []string } `yaml:"exec"`
	TCPSocket *struct {
		Port intOrString `yaml:"port"`
	} `yaml:"tcpSocket"`
}

type k8sContainer struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env []struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	} `yaml:"env"`
	EnvFrom []struct {
		ConfigMapRef *struct {
			Name string `yaml:"name"`
		} `yaml:"configMapRef"`
		SecretRef *struct {
			Name string `yaml:"name"`
		} `yaml:"secretRef"`
	} `yaml:"envFrom"`
	LivenessProbe  *k8sProbe `yaml:"livenessProbe"`
	ReadinessProbe *k8sProbe `yaml:"readinessProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	Lifecycle struct {
		PreStop *struct {
			Sleep *struct {
				Seconds int `yaml:"seconds"`
			} `yaml:"sleep"`
		} `yaml:"preStop"`
	} `yaml:"lifecycle"`
	SecurityContext struct {
		RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

// port resolves a probe's or Service's port (a number or a port name) to a
// container port number, 0 when it names none.
func (c k8sContainer) port(p intOrString) int {
	if n, err := strconv.Atoi(string(p)); err == nil {
		for _, cp := range c.Ports {
			if cp.ContainerPort == n {
				return n
			}
		}
		return 0
	}
	for _, cp := range c.Ports {
		if cp.Name == string(p) {
			return cp.ContainerPort
		}
	}
	return 0
}

type k8sPodSpec struct {
	TerminationGracePeriodSeconds *int `yaml:"terminationGracePeriodSeconds"`
	SecurityContext               struct {
		RunAsNonRoot *bool `yaml:"runAsNonRoot"`
	} `yaml:"securityContext"`
	Containers []k8sContainer `yaml:"containers"`
}

// k8sWorkload is a Deployment or a StatefulSet.
type k8sWorkload struct {
	Spec struct {
		Replicas    *int   `yaml:"replicas"`
		ServiceName string `yaml:"serviceName"`
		Selector    struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Strategy struct {
			Type          string `yaml:"type"`
			RollingUpdate struct {
				MaxUnavailable intOrString `yaml:"maxUnavailable"`
				MaxSurge       intOrString `yaml:"maxSurge"`
			} `yaml:"rollingUpdate"`
		} `yaml:"strategy"`
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec k8sPodSpec `yaml:"spec"`
		} `yaml:"template"`
		VolumeClaimTemplates []struct {
			Metadata struct {
				Name string `yaml:"name"`
			} `yaml:"metadata"`
			Spec struct {
				Resources struct {
					Requests map[string]string `yaml:"requests"`
				} `yaml:"resources"`
			} `yaml:"spec"`
		} `yaml:"volumeClaimTemplates"`
	} `yaml:"spec"`
}

type k8sService struct {
	Spec struct {
		ClusterIP string            `yaml:"clusterIP"`
		Type      string            `yaml:"type"`
		Selector  map[string]string `yaml:"selector"`
		Ports     []struct {
			Name       string      `yaml:"name"`
			Port       int         `yaml:"port"`
			TargetPort intOrString `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

type k8sPDB struct {
	Spec struct {
		MinAvailable   intOrString `yaml:"minAvailable"`
		MaxUnavailable intOrString `yaml:"maxUnavailable"`
		Selector       struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
	} `yaml:"spec"`
}

type k8sData struct {
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
}

// labelsSelect reports whether a label selector picks pods with these labels.
// An empty selector selects nothing here: it would select every pod.
func labelsSelect(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// ---- COACH_ variables ---------------------------------------------------------

var (
	coachName   = regexp.MustCompile(`^COACH_[A-Z0-9_]+$`)
	coachAssign = regexp.MustCompile(`^(COACH_[A-Z0-9_]+)=`)
	coachRef    = regexp.MustCompile(`\$\{?(COACH_[A-Z0-9_]+)`)
	coachWord   = regexp.MustCompile(`\bCOACH_[A-Z0-9_]+`)
)

// configKeys returns the names envconfig reads into Config, asked from
// envconfig itself so that split_words is applied exactly as at start-up.
func configKeys(t *testing.T) map[string]bool {
	t.Helper()
	var buf bytes.Buffer
	if err := envconfig.Usagef("coach", &Config{}, &buf, "{{range .}}{{usage_key .}}\n{{end}}"); err != nil {
		t.Fatalf("envconfig.Usagef: %v", err)
	}
	keys := map[string]bool{}
	for _, k := range strings.Fields(buf.String()) {
		keys[k] = true
	}
	if !keys["COACH_REDIS_URL"] || !keys["COACH_HTTP_ADDR"] {
		t.Fatalf("envconfig reported %v, which lacks COACH_REDIS_URL or COACH_HTTP_ADDR: the prefix or the template is wrong", sortedMapKeys(keys))
	}
	return keys
}

// coachNamesInYAML calls add for each COACH_ variable a YAML tree names: a
// key or scalar that is exactly a name (compose environment maps, ConfigMap
// and Secret keys, env[].name), "NAME=value" (compose environment lists) and
// ${NAME} references (compose interpolation).
func coachNamesInYAML(n *yaml.Node, add func(name string, line int)) {
	if n.Kind == yaml.ScalarNode {
		switch m := coachAssign.FindStringSubmatch(n.Value); {
		case coachName.MatchString(n.Value):
			add(n.Value, n.Line)
		case m != nil:
			add(m[1], n.Line)
		}
		for _, m := range coachRef.FindAllStringSubmatch(n.Value, -1) {
			add(m[1], n.Line)
		}
	}
	for _, c := range n.Content {
		coachNamesInYAML(c, add)
	}
}

// ---- the Dockerfile -----------------------------------------------------------

type dockerInstruction struct {
	cmd  string // upper case: FROM, RUN, ENV...
	args string // continuation lines joined with spaces
	line int
}

// parseDockerfile splits a Dockerfile into instructions, joining lines
// continued with a backslash and dropping comments (parser directives are
// comments too).
func parseDockerfile(src string) []dockerInstruction {
	var (
		out     []dockerInstruction
		cur     strings.Builder
		start   int
		pending bool
	)
	for i, raw := range strings.Split(src, "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !pending {
			start = i + 1
			cur.Reset()
		}
		cont := strings.HasSuffix(line, `\`)
		line = strings.TrimSpace(strings.TrimSuffix(line, `\`))
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(line)
		pending = cont
		if !cont {
			cmd, args, _ := strings.Cut(cur.String(), " ")
			out = append(out, dockerInstruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args), line: start})
		}
	}
	return out
}

// finalStage returns the instructions from the last FROM on.
func finalStage(ins []dockerInstruction) []dockerInstruction {
	for i := len(ins) - 1; i >= 0; i-- {
		if ins[i].cmd == "FROM" {
			return ins[i:]
		}
	}
	return nil
}

// dockerEnv returns the variables the ENV instructions set, in order of
// appearance (KEY=value pairs, or the old "ENV KEY value" form).
func dockerEnv(ins []dockerInstruction) [][2]string {
	var env [][2]string
	for _, in := range ins {
		if in.cmd != "ENV" {
			continue
		}
		fields := strings.Fields(in.args)
		if len(fields) > 0 && !strings.Contains(fields[0], "=") {
			env = append(env, [2]string{fields[0], strings.Join(fields[1:], " ")})
			continue
		}
		for _, f := range fields {
			k, v, _ := strings.Cut(f, "=")
			env = append(env, [2]string{k, strings.Trim(v, `"'`)})
		}
	}
	return env
}

// fromImage returns the image of a FROM instruction, skipping --platform.
func fromImage(args string) string {
	for _, f := range strings.Fields(args) {
		if !strings.HasPrefix(f, "--") {
			return f
		}
	}
	return ""
}

// ---- compose ------------------------------------------------------------------

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Command     yaml.Node `yaml:"command"`
	Environment yaml.Node `yaml:"environment"`
	Volumes     []string  `yaml:"volumes"`
	Healthcheck struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

// environment returns a service's environment after interpolation with the
// operator's variables in shell: a value of nil means "taken from the
// operator's environment" (KEY alone, or KEY: with no value).
func (s composeService) environment(t *testing.T, shell map[string]string) map[string]string {
	t.Helper()
	raw := map[string]*string{}
	switch s.Environment.Kind {
	case 0:
	case yaml.MappingNode:
		for i := 0; i+1 < len(s.Environment.Content); i += 2 {
			k, v := s.Environment.Content[i].Value, s.Environment.Content[i+1]
			if v.Tag == "!!null" {
				raw[k] = nil
			} else {
				raw[k] = &v.Value
			}
		}
	case yaml.SequenceNode:
		for _, item := range s.Environment.Content {
			k, v, ok := strings.Cut(item.Value, "=")
			if ok {
				raw[k] = &v
			} else {
				raw[k] = nil
			}
		}
	default:
		t.Fatalf("compose environment at line %d is neither a map nor a list", s.Environment.Line)
	}
	env := map[string]string{}
	for k, v := range raw {
		if v == nil {
			if sv, ok := shell[k]; ok {
				env[k] = sv
			}
			continue
		}
		out, err := composeInterpolate(*v, shell)
		if err != nil {
			t.Fatalf("compose environment %s: %v", k, err)
		}
		env[k] = out
	}
	return env
}

var composeVar = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// composeInterpolate does what Compose does to $VAR, ${VAR},
// ${VAR:-default} and ${VAR-default}; the other forms are refused so that
// the test never silently misreads a value.
func composeInterpolate(s string, shell map[string]string) (string, error) {
	var err error
	out := composeVar.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		sm := composeVar.FindStringSubmatch(m)
		name, op, arg := sm[1], sm[2], sm[3]
		if name == "" {
			name = sm[4]
		}
		v, set := shell[name]
		switch op {
		case "":
			return v
		case ":-":
			if v == "" {
				return arg
			}
			return v
		case "-":
			if !set {
				return arg
			}
			return v
		}
		err = fmt.Errorf("%s: this test does not interpret %q", m, op)
		return m
	})
	return out, err
}

// ---- redis.conf -----------------------------------------------------------

// redisDirectives returns the directives of a redis.conf, the last one of
// each name winning (as in Redis, for single-valued directives), with
// double-quoted arguments unquoted.
func redisDirectives(conf string) map[string]string {
	d := map[string]string{}
	for _, line := range strings.Split(conf, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		if uq, err := strconv.Unquote(rest); err == nil && strings.HasPrefix(rest, `"`) {
			rest = uq
		}
		d[strings.ToLower(name)] = rest
	}
	return d
}

// ============================================================================

func TestDeployYAML(t *testing.T) {
	k := loadDeployKit(t)
	for _, e := range k.parseErr {
		t.Error(e)
	}
	for _, r := range deployRequiredFiles {
		if _, err := os.Stat(filepath.Join(k.dir, filepath.FromSlash(r))); err != nil {
			t.Errorf("deploy/%s is part of the deploy kit and is missing: %v", r, err)
		}
	}
	if len(k.k8s) == 0 {
		t.Fatal("found no Kubernetes documents under deploy/k8s")
	}
	seen := map[string]k8sObject{}
	for _, o := range k.k8s {
		t.Run(o.file+":"+strconv.Itoa(o.line), func(t *testing.T) {
			if o.node.Kind != yaml.MappingNode {
				t.Fatalf("deploy/%s:%d: a Kubernetes document must be a mapping", o.file, o.line)
			}
			for _, f := range []struct{ field, value string }{
				{"apiVersion", o.meta.APIVersion}, {"kind", o.meta.Kind}, {"metadata.name", o.meta.Metadata.Name},
			} {
				if f.value == "" {
					t.Errorf("deploy/%s:%d: %s is missing", o.file, o.line, f.field)
				}
			}
			id := o.meta.Kind + "/" + o.meta.Metadata.Name
			if prev, ok := seen[id]; ok {
				t.Errorf("%s is defined twice: also %s", o, prev)
			}
			seen[id] = o
		})
	}
}

func TestDeployEnvNamesExist(t *testing.T) {
	k := loadDeployKit(t)
	keys := configKeys(t)
	type use struct {
		name string
		line int
	}
	uses := map[string][]use{} // by file
	for _, r := range sortedMapKeys(k.yaml) {
		for _, doc := range k.yaml[r].docs {
			coachNamesInYAML(doc, func(name string, line int) { uses["deploy/"+r] = append(uses["deploy/"+r], use{name, line}) })
		}
	}
	for _, in := range parseDockerfile(k.read(t, "Dockerfile")) {
		for _, name := range coachWord.FindAllString(in.args, -1) {
			uses["deploy/Dockerfile"] = append(uses["deploy/Dockerfile"], use{name, in.line})
		}
	}
	// A collector that finds nothing would pass any file.
	for _, f := range []string{"deploy/Dockerfile", "deploy/compose.yaml", "deploy/k8s/configmap.yaml", "deploy/k8s/secret.yaml"} {
		if len(uses[f]) == 0 {
			t.Errorf("%s names no COACH_ variable: the collector or the file is broken", f)
		}
	}
	for _, f := range sortedMapKeys(uses) {
		t.Run(f, func(t *testing.T) {
			for _, u := range uses[f] {
				if !keys[u.name] {
					t.Errorf("%s:%d: %s is not a variable coachbot reads (Config in cmd/coachbot/config.go); it reads %s",
						f, u.line, u.name, strings.Join(sortedMapKeys(keys), ", "))
				}
			}
		})
	}
}

// deployEnv is an environment the deploy kit gives coachbot.
type deployEnv struct {
	name  string
	env   map[string]string
	check func(t *testing.T, c Config)
}

func TestDeployConfigValidates(t *testing.T) {
	k := loadDeployKit(t)

	image := map[string]string{}
	for _, kv := range dockerEnv(parseDockerfile(k.read(t, "Dockerfile"))) {
		image[kv[0]] = kv[1]
	}

	var compose composeFile
	k.doc(t, "compose.yaml", &compose)
	botSvc, ok := compose.Services["coachbot"]
	if !ok {
		t.Fatal("deploy/compose.yaml has no service named coachbot")
	}

	var cm, secret k8sData
	k.one(t, "Secret").decode(t, &secret)
	for _, o := range k.objects("ConfigMap") {
		var d k8sData
		o.decode(t, &d)
		if slices.ContainsFunc(sortedMapKeys(d.Data), coachName.MatchString) {
			cm = d
		}
	}
	if len(cm.Data) == 0 {
		t.Fatal("deploy/k8s has no ConfigMap with COACH_ settings")
	}
	secretValues := map[string]string{}
	for key, v := range secret.StringData {
		secretValues[key] = v
	}
	for key, v := range secret.Data {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			t.Fatalf("deploy/k8s Secret: data.%s is not base64: %v", key, err)
		}
		secretValues[key] = string(b)
	}

	// merge layers environments, later ones winning, as envFrom over the
	// image's ENV does. fill replaces placeholders with fakes; without it
	// placeholders are dropped (the value the operator has not chosen).
	merge := func(t *testing.T, fill bool, layers ...map[string]string) map[string]string {
		t.Helper()
		env := map[string]string{}
		for _, l := range layers {
			for key, v := range l {
				if !strings.Contains(v, deployPlaceholder) {
					env[key] = v
					continue
				}
				if !fill {
					delete(env, key)
					continue
				}
				fake, ok := deployFakes[key]
				if !ok {
					t.Fatalf("%s holds the placeholder %q and the test has no fake value for it: add one to deployFakes", key, deployPlaceholder)
				}
				env[key] = fake
			}
		}
		return env
	}
	operator := map[string]string{} // an operator's shell with every credential the kit passes through
	for key, v := range deployFakes {
		operator[key] = v
	}

	envs := []deployEnv{
		{"image defaults", image, func(t *testing.T, c Config) {
			if got := c.Platforms(); len(got) != 0 {
				t.Errorf("platforms %v, want none", got)
			}
		}},
		{"compose with nothing set", merge(t, false, image, botSvc.environment(t, nil)), func(t *testing.T, c Config) {
			if got := c.Platforms(); len(got) != 0 {
				t.Errorf("platforms %v, want none: an unset variable must reach coachbot as unset or empty", got)
			}
			if c.RedisURL == "" {
				t.Error("COACH_REDIS_URL is empty: compose runs coachbot on its Redis")
			}
		}},
		{"compose with every credential", merge(t, false, image, botSvc.environment(t, operator)), func(t *testing.T, c Config) {
			if diff := cmp.Diff([]string{"slack", "discord"}, c.Platforms()); diff != "" {
				t.Errorf("platforms (-want +got): the operator's credentials do not reach coachbot\n%s", diff)
			}
		}},
		{"k8s ConfigMap without the Secret", merge(t, false, image, cm.Data), nil},
		{"k8s ConfigMap and Secret filled in", merge(t, true, image, cm.Data, secretValues), func(t *testing.T, c Config) {
			if diff := cmp.Diff([]string{"slack", "discord"}, c.Platforms()); diff != "" {
				t.Errorf("platforms (-want +got)\n%s", diff)
			}
			// Several replicas: each platform request must reach one
			// replica through the Service (DESIGN: one mode per platform).
			if c.DiscordMode != "http" {
				t.Errorf("COACH_DISCORD_MODE = %q, want http: in gateway mode every replica would answer every command", c.DiscordMode)
			}
			if c.SlackAppToken != "" {
				t.Error("COACH_SLACK_APP_TOKEN is set: Kubernetes replicas use Slack over HTTP, not Socket Mode")
			}
			if c.RedisURL == "" && len(c.RedisAddrs) == 0 {
				t.Error("no Redis configured: replicas must share one store")
			}
			if c.LogFormat != "json" {
				t.Errorf("COACH_LOG_FORMAT = %q, want json for the log collector", c.LogFormat)
			}
		}},
	}
	for _, e := range envs {
		t.Run(e.name, func(t *testing.T) {
			// Only the kit's values: nothing from the environment the test
			// runs in.
			for _, kv := range os.Environ() {
				if key, _, _ := strings.Cut(kv, "="); strings.HasPrefix(key, "COACH_") {
					t.Setenv(key, "")
					os.Unsetenv(key)
				}
			}
			for key, v := range e.env {
				t.Setenv(key, v)
			}
			c, err := LoadConfig()
			if err != nil {
				t.Fatalf("coachbot would refuse to start: %v\nenvironment: %v", err, e.env)
			}
			if e.check != nil {
				e.check(t, c)
			}
		})
	}
}

func TestDeployKubernetes(t *testing.T) {
	k := loadDeployKit(t)

	depObj := k.one(t, "Deployment")
	var dep k8sWorkload
	depObj.decode(t, &dep)
	podLabels := dep.Spec.Template.Metadata.Labels
	pod := dep.Spec.Template.Spec
	if len(pod.Containers) == 0 {
		t.Fatalf("%s has no containers", depObj)
	}
	c := pod.Containers[0]
	for _, cc := range pod.Containers {
		if cc.Name == "coachbot" {
			c = cc
		}
	}

	var configMaps, secrets []string
	var cmData k8sData
	for _, o := range k.objects("ConfigMap") {
		configMaps = append(configMaps, o.meta.Metadata.Name)
	}
	for _, o := range k.objects("Secret") {
		secrets = append(secrets, o.meta.Metadata.Name)
	}
	var envCM, envSecret string
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef != nil {
			envCM = ef.ConfigMapRef.Name
		}
		if ef.SecretRef != nil {
			envSecret = ef.SecretRef.Name
		}
	}
	for _, o := range k.objects("ConfigMap") {
		if o.meta.Metadata.Name == envCM {
			o.decode(t, &cmData)
		}
	}
	_, httpPort, _ := net.SplitHostPort(cmData.Data["COACH_HTTP_ADDR"])

	// Other workloads' pods (Redis): the Service and PDB must not pick them.
	var otherPods []map[string]string
	for _, o := range k.objects("StatefulSet") {
		var w k8sWorkload
		o.decode(t, &w)
		otherPods = append(otherPods, w.Spec.Template.Metadata.Labels)
	}
	selectsOnlyBot := func(sel map[string]string) error {
		if !labelsSelect(sel, podLabels) {
			return fmt.Errorf("selector %v does not select the Deployment's pods %v", sel, podLabels)
		}
		for _, other := range otherPods {
			if labelsSelect(sel, other) {
				return fmt.Errorf("selector %v also selects the pods %v", sel, other)
			}
		}
		return nil
	}

	isTrue := func(b *bool) bool { return b != nil && *b }
	probePath := func(p *k8sProbe) string {
		if p == nil || p.HTTPGet == nil {
			return "(no httpGet probe)"
		}
		return p.HTTPGet.Path
	}

	deployment := []struct {
		name string
		err  func() error
	}{
		{"three replicas", func() error {
			if dep.Spec.Replicas == nil || *dep.Spec.Replicas != 3 {
				return fmt.Errorf("replicas %v, want 3", derefInt(dep.Spec.Replicas))
			}
			return nil
		}},
		{"selector matches the pod template", func() error {
			if !labelsSelect(dep.Spec.Selector.MatchLabels, podLabels) {
				return fmt.Errorf("selector %v does not match the template's labels %v", dep.Spec.Selector.MatchLabels, podLabels)
			}
			return nil
		}},
		{"rolling update keeps every replica", func() error {
			if ru := dep.Spec.Strategy.RollingUpdate; ru.MaxUnavailable != "0" {
				return fmt.Errorf("maxUnavailable %q, want 0: a new pod must be ready before an old one stops", ru.MaxUnavailable)
			}
			return nil
		}},
		{"liveness probe on /healthz", func() error {
			if got := probePath(c.LivenessProbe); got != "/healthz" {
				return fmt.Errorf("livenessProbe path %s, want /healthz (which does not depend on Redis)", got)
			}
			if c.port(c.LivenessProbe.HTTPGet.Port) == 0 {
				return fmt.Errorf("livenessProbe port %q is not a container port", c.LivenessProbe.HTTPGet.Port)
			}
			return nil
		}},
		{"readiness probe on /readyz", func() error {
			if got := probePath(c.ReadinessProbe); got != "/readyz" {
				return fmt.Errorf("readinessProbe path %s, want /readyz", got)
			}
			if c.port(c.ReadinessProbe.HTTPGet.Port) == 0 {
				return fmt.Errorf("readinessProbe port %q is not a container port", c.ReadinessProbe.HTTPGet.Port)
			}
			return nil
		}},
		{"container port is COACH_HTTP_ADDR's", func() error {
			if httpPort == "" {
				return fmt.Errorf("the ConfigMap %q sets no COACH_HTTP_ADDR with a port", envCM)
			}
			if c.port(intOrString(httpPort)) == 0 {
				return fmt.Errorf("COACH_HTTP_ADDR's port %s is not among the container ports %v", httpPort, c.Ports)
			}
			return nil
		}},
		{"resources set", func() error {
			for _, r := range []struct {
				what string
				m    map[string]string
			}{{"requests", c.Resources.Requests}, {"limits", c.Resources.Limits}} {
				for _, res := range []string{"cpu", "memory"} {
					if r.m[res] == "" {
						return fmt.Errorf("resources.%s.%s is not set", r.what, res)
					}
				}
			}
			return nil
		}},
		{"envFrom the ConfigMap", func() error {
			if envCM == "" || !slices.Contains(configMaps, envCM) {
				return fmt.Errorf("envFrom configMapRef %q, want one of the ConfigMaps defined: %v", envCM, configMaps)
			}
			return nil
		}},
		{"envFrom the Secret", func() error {
			if envSecret == "" || !slices.Contains(secrets, envSecret) {
				return fmt.Errorf("envFrom secretRef %q, want one of the Secrets defined: %v", envSecret, secrets)
			}
			return nil
		}},
		{"runs as non-root", func() error {
			if !isTrue(pod.SecurityContext.RunAsNonRoot) && !isTrue(c.SecurityContext.RunAsNonRoot) {
				return errors.New("runAsNonRoot is not true in the pod's or the container's securityContext")
			}
			return nil
		}},
		{"hardened container", func() error {
			sc := c.SecurityContext
			if !isTrue(sc.ReadOnlyRootFilesystem) {
				return errors.New("readOnlyRootFilesystem is not true (all state is in Redis)")
			}
			if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				return errors.New("allowPrivilegeEscalation is not false")
			}
			if !slices.Contains(sc.Capabilities.Drop, "ALL") {
				return fmt.Errorf("capabilities.drop %v, want ALL", sc.Capabilities.Drop)
			}
			return nil
		}},
		{"grace period covers the drain", func() error {
			sleep := 0
			if ps := c.Lifecycle.PreStop; ps != nil && ps.Sleep != nil {
				sleep = ps.Sleep.Seconds
			}
			if g := pod.TerminationGracePeriodSeconds; g == nil || *g <= sleep+drainSeconds {
				return fmt.Errorf("terminationGracePeriodSeconds %v, want more than the preStop sleep (%d s) plus coachbot's drain (%d s)", derefInt(g), sleep, drainSeconds)
			}
			return nil
		}},
	}
	for _, tt := range deployment {
		t.Run("deployment/"+tt.name, func(t *testing.T) {
			if err := tt.err(); err != nil {
				t.Errorf("%s: %v", depObj, err)
			}
		})
	}

	t.Run("pdb", func(t *testing.T) {
		o := k.one(t, "PodDisruptionBudget")
		var pdb k8sPDB
		o.decode(t, &pdb)
		if err := selectsOnlyBot(pdb.Spec.Selector.MatchLabels); err != nil {
			t.Errorf("%s: %v", o, err)
		}
		minAvail, err := strconv.Atoi(string(pdb.Spec.MinAvailable))
		if err != nil {
			t.Fatalf("%s: minAvailable %q, want a number", o, pdb.Spec.MinAvailable)
		}
		if replicas := derefInt(dep.Spec.Replicas); minAvail < 1 || minAvail >= replicas {
			t.Errorf("%s: minAvailable %d with %d replicas: want at least 1 and fewer than the replicas, or no node could ever be drained", o, minAvail, replicas)
		}
	})

	t.Run("service", func(t *testing.T) {
		var found bool
		for _, o := range k.objects("Service") {
			var svc k8sService
			o.decode(t, &svc)
			if !labelsSelect(svc.Spec.Selector, podLabels) {
				continue
			}
			found = true
			if err := selectsOnlyBot(svc.Spec.Selector); err != nil {
				t.Errorf("%s: %v", o, err)
			}
			if len(svc.Spec.Ports) == 0 {
				t.Errorf("%s has no ports", o)
			}
			for _, p := range svc.Spec.Ports {
				if c.port(p.TargetPort) == 0 {
					t.Errorf("%s: port %q targets %q, which is not a port of the coachbot container", o, p.Name, p.TargetPort)
				}
			}
		}
		if !found {
			t.Errorf("no Service selects the Deployment's pods %v", podLabels)
		}
	})

	t.Run("redis statefulset", func(t *testing.T) {
		for _, o := range k.objects("StatefulSet") {
			var w k8sWorkload
			o.decode(t, &w)
			if len(w.Spec.Template.Spec.Containers) == 0 {
				t.Fatalf("%s has no containers", o)
			}
			rc := w.Spec.Template.Spec.Containers[0]
			if r := derefInt(w.Spec.Replicas); r != 1 {
				t.Errorf("%s: %d replicas, want 1: two Redis pods would be two separate databases", o, r)
			}
			if len(w.Spec.VolumeClaimTemplates) == 0 {
				t.Errorf("%s has no volumeClaimTemplates: the data would not survive the pod", o)
			}
			if rc.LivenessProbe == nil || rc.ReadinessProbe == nil {
				t.Errorf("%s: the container needs a liveness and a readiness probe", o)
			}
			if rc.Resources.Limits["memory"] == "" || rc.Resources.Requests["memory"] == "" {
				t.Errorf("%s: memory requests and limits must be set (maxmemory is sized against them)", o)
			}
			if !isTrue(w.Spec.Template.Spec.SecurityContext.RunAsNonRoot) && !isTrue(rc.SecurityContext.RunAsNonRoot) {
				t.Errorf("%s: runAsNonRoot is not true", o)
			}
			claims := map[string]bool{}
			for _, vc := range w.Spec.VolumeClaimTemplates {
				claims[vc.Metadata.Name] = true
			}
			dir := redisDirectives(k.read(t, "redis.conf"))["dir"]
			if !slices.ContainsFunc(rc.VolumeMounts, func(m struct {
				Name      string `yaml:"name"`
				MountPath string `yaml:"mountPath"`
			}) bool {
				return claims[m.Name] && m.MountPath == dir
			}) {
				t.Errorf("%s: no volume claim is mounted on %q, redis.conf's dir", o, dir)
			}
			var headless bool
			for _, so := range k.objects("Service") {
				var svc k8sService
				so.decode(t, &svc)
				if so.meta.Metadata.Name == w.Spec.ServiceName && svc.Spec.ClusterIP == "None" && labelsSelect(svc.Spec.Selector, w.Spec.Template.Metadata.Labels) {
					headless = true
				}
			}
			if !headless {
				t.Errorf("%s: serviceName %q is not a headless Service selecting its pods", o, w.Spec.ServiceName)
			}
		}
	})

	t.Run("configmap holds no credentials", func(t *testing.T) {
		for key := range cmData.Data {
			for _, s := range []string{"TOKEN", "SECRET", "PASSWORD", "REDIS_URL"} {
				if strings.Contains(key, s) {
					t.Errorf("ConfigMap %q holds %s: credentials (and a Redis URL, which may carry a password) belong in the Secret", envCM, key)
				}
			}
		}
	})

	t.Run("kustomization", func(t *testing.T) {
		var kz struct {
			Resources []string `yaml:"resources"`
		}
		k.doc(t, "k8s/kustomization.yaml", &kz)
		if len(kz.Resources) == 0 {
			t.Fatal("deploy/k8s/kustomization.yaml lists no resources")
		}
		for _, r := range kz.Resources {
			if _, err := os.Stat(filepath.Join(k.dir, "k8s", filepath.FromSlash(r))); err != nil {
				t.Errorf("deploy/k8s/kustomization.yaml lists %s: %v", r, err)
			}
		}
		for _, r := range sortedMapKeys(k.yaml) {
			name, ok := strings.CutPrefix(r, "k8s/")
			if !ok || strings.Contains(name, "/") || name == "kustomization.yaml" {
				continue
			}
			if !slices.Contains(kz.Resources, name) && !slices.Contains(optionalK8sFiles, name) {
				t.Errorf("deploy/k8s/%s is not in kustomization.yaml's resources (nor an optional file of this test: %v)", name, optionalK8sFiles)
			}
		}
	})
}

func derefInt(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func TestDeployRedisConf(t *testing.T) {
	k := loadDeployKit(t)
	conf := k.read(t, "redis.conf")
	d := redisDirectives(conf)
	tests := []struct {
		directive, want, why string
	}{
		{"appendonly", "yes", "every write must be logged: Redis is coachbot's only copy of its data"},
		{"appendfsync", "everysec", "lose at most a second on a crash"},
		{"maxmemory-policy", "noeviction", "coachbot's keys must never be evicted"},
		{"aof-use-rdb-preamble", "yes", "compact AOF base, fast restarts"},
		{"dir", "/data", "the volume compose.yaml and redis.yaml mount"},
	}
	for _, tt := range tests {
		t.Run(tt.directive, func(t *testing.T) {
			if got := d[tt.directive]; got != tt.want {
				t.Errorf("deploy/redis.conf: %s is %q, want %q: %s", tt.directive, got, tt.want, tt.why)
			}
		})
	}
	t.Run("maxmemory", func(t *testing.T) {
		if d["maxmemory"] == "" || d["maxmemory"] == "0" {
			t.Error("deploy/redis.conf sets no maxmemory: with noeviction a full Redis must refuse writes, not be OOM-killed")
		}
	})
	t.Run("no password in the file", func(t *testing.T) {
		if _, ok := d["requirepass"]; ok {
			t.Error("deploy/redis.conf sets requirepass: the file is a ConfigMap in k8s; pass the password from a Secret on the command line")
		}
	})
	t.Run("k8s copy", func(t *testing.T) {
		var found bool
		for _, o := range k.objects("ConfigMap") {
			var cm k8sData
			o.decode(t, &cm)
			if c, ok := cm.Data["redis.conf"]; ok {
				found = true
				if diff := cmp.Diff(conf, c); diff != "" {
					t.Errorf("%s: data.redis.conf differs from deploy/redis.conf (-file +configmap); copy the file in, indented:\n%s", o, diff)
				}
			}
		}
		if !found {
			t.Error("no ConfigMap in deploy/k8s holds redis.conf")
		}
	})
	t.Run("compose mounts it", func(t *testing.T) {
		var compose composeFile
		k.doc(t, "compose.yaml", &compose)
		redis, ok := compose.Services["redis"]
		if !ok {
			t.Fatal("deploy/compose.yaml has no service named redis")
		}
		var cmd []string
		if err := redis.Command.Decode(&cmd); err != nil {
			var s string
			_ = redis.Command.Decode(&s)
			cmd = strings.Fields(s)
		}
		if len(cmd) < 2 || cmd[0] != "redis-server" {
			t.Fatalf("redis command %q, want redis-server PATH-OF-redis.conf", cmd)
		}
		var confMounted, dataMounted bool
		for _, v := range redis.Volumes {
			parts := strings.Split(v, ":")
			if len(parts) >= 2 && path.Clean(parts[0]) == "redis.conf" && parts[1] == cmd[1] {
				confMounted = true
			}
			if len(parts) >= 2 && parts[1] == d["dir"] {
				dataMounted = true
			}
		}
		if !confMounted {
			t.Errorf("redis volumes %q do not mount ./redis.conf at %s", redis.Volumes, cmd[1])
		}
		if !dataMounted {
			t.Errorf("redis volumes %q mount nothing on %s, redis.conf's dir: the data would die with the container", redis.Volumes, d["dir"])
		}
	})
}

func TestDeployRedisConfOnRealRedis(t *testing.T) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		const msg = "redis-server not found: install it (apt-get install redis-server) to check deploy/redis.conf against a real Redis"
		if os.Getenv("COACH_TEST_REQUIRE_REDIS") == "1" {
			t.Fatal(msg + " (COACH_TEST_REQUIRE_REDIS=1 makes this a failure)")
		}
		t.Skip(msg)
	}
	k := loadDeployKit(t)
	dir := t.TempDir()
	// dir is applied while the file is read, before command-line options
	// could override it, and /data does not exist here: rewrite it.
	var replaced bool
	lines := strings.Split(k.read(t, "redis.conf"), "\n")
	for i, l := range lines {
		if f := strings.Fields(l); len(f) > 0 && strings.EqualFold(f[0], "dir") {
			lines[i] = "dir " + strconv.Quote(dir)
			replaced = true
		}
	}
	if !replaced {
		t.Fatal("deploy/redis.conf has no dir directive")
	}
	confPath := filepath.Join(dir, "redis.conf")
	if err := os.WriteFile(confPath, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}

	conn := startRedisConf(t, bin, confPath, dir)
	wantDir, _ := filepath.EvalSymlinks(dir)
	tests := []struct{ param, want string }{
		{"appendonly", "yes"},
		{"appendfsync", "everysec"},
		{"maxmemory-policy", "noeviction"},
		{"aof-use-rdb-preamble", "yes"},
		{"dir", wantDir},
	}
	for _, tt := range tests {
		t.Run(tt.param, func(t *testing.T) {
			got, err := conn.configGet(tt.param)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("CONFIG GET %s = %q, want %q", tt.param, got, tt.want)
			}
		})
	}
	t.Run("maxmemory", func(t *testing.T) {
		got, err := conn.configGet("maxmemory")
		if err != nil {
			t.Fatal(err)
		}
		if n, err := strconv.ParseInt(got, 10, 64); err != nil || n <= 0 {
			t.Errorf("CONFIG GET maxmemory = %q, want a positive number of bytes", got)
		}
	})
}

// startRedisConf runs redis-server on confPath, on a free loopback port,
// until the test ends, and returns a connection to it once it answers PING.
func startRedisConf(t *testing.T, bin, confPath, dir string) *respConn {
	t.Helper()
	logPath := filepath.Join(dir, "redis.log")
	var lastErr error
	for range 3 { // a free port may be taken before redis-server binds it
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
		l.Close()
		logFile, err := os.Create(logPath)
		if err != nil {
			t.Fatal(err)
		}
		// Options after the file override it.
		cmd := exec.Command(bin, confPath, "--port", port, "--bind", "127.0.0.1", "--daemonize", "no")
		cmd.Dir = dir
		cmd.Stdout, cmd.Stderr = logFile, logFile
		if err := cmd.Start(); err != nil {
			logFile.Close()
			t.Fatalf("starting %s: %v", bin, err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); logFile.Close(); close(exited) }()
		stop := func() { _ = cmd.Process.Kill(); <-exited }

		conn, err := waitPONG(net.JoinHostPort("127.0.0.1", port), exited)
		if err == nil {
			t.Cleanup(func() { conn.c.Close(); stop() })
			return conn
		}
		stop()
		log, _ := os.ReadFile(logPath)
		lastErr = fmt.Errorf("%v\nredis-server's log:\n%s", err, log)
		if !bytes.Contains(log, []byte("in use")) {
			break
		}
	}
	t.Fatalf("redis-server did not accept deploy/redis.conf: %v", lastErr)
	return nil
}

// waitPONG dials addr until PING answers PONG, the server exits or 20 s
// pass (a loaded machine may be slow; this is not a measurement).
func waitPONG(addr string, exited <-chan struct{}) (*respConn, error) {
	deadline := time.Now().Add(20 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return nil, errors.New("redis-server exited before it answered PING")
		default:
		}
		var c net.Conn
		c, err = net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			rc := &respConn{c: c, r: bufio.NewReader(c)}
			var reply any
			if reply, err = rc.do("PING"); err == nil && reply == "PONG" {
				return rc, nil
			}
			if err == nil {
				err = fmt.Errorf("PING answered %v", reply)
			}
			c.Close()
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, fmt.Errorf("no PONG from %s within 20s: %v", addr, err)
}

// respConn speaks just enough RESP2 for PING and CONFIG GET.
type respConn struct {
	c net.Conn
	r *bufio.Reader
}

func (rc *respConn) do(args ...string) (any, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	_ = rc.c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(rc.c, b.String()); err != nil {
		return nil, err
	}
	return rc.reply()
}

func (rc *respConn) reply() (any, error) {
	line, err := rc.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty RESP line")
	}
	body := line[1:]
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return nil, fmt.Errorf("redis: %s", body)
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(rc.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		items := make([]any, n)
		for i := range items {
			if items[i], err = rc.reply(); err != nil {
				return nil, err
			}
		}
		return items, nil
	}
	return nil, fmt.Errorf("unexpected RESP line %q", line)
}

// configGet returns the value CONFIG GET reports for one parameter.
func (rc *respConn) configGet(param string) (string, error) {
	reply, err := rc.do("CONFIG", "GET", param)
	if err != nil {
		return "", err
	}
	items, ok := reply.([]any)
	if !ok || len(items) != 2 {
		return "", fmt.Errorf("CONFIG GET %s answered %v, want [name value]", param, reply)
	}
	v, _ := items[1].(string)
	return v, nil
}

func TestDeployDockerfile(t *testing.T) {
	k := loadDeployKit(t)
	all := parseDockerfile(k.read(t, "Dockerfile"))
	final := finalStage(all)
	if len(final) == 0 {
		t.Fatal("deploy/Dockerfile has no FROM")
	}
	last := func(ins []dockerInstruction, cmd string) (dockerInstruction, bool) {
		for i := len(ins) - 1; i >= 0; i-- {
			if ins[i].cmd == cmd {
				return ins[i], true
			}
		}
		return dockerInstruction{}, false
	}
	env := map[string]string{}
	for _, kv := range dockerEnv(final) {
		env[kv[0]] = kv[1]
	}

	tests := []struct {
		name string
		err  func() error
	}{
		{"final image is distroless or scratch", func() error {
			img := fromImage(final[0].args)
			if img != "scratch" && !strings.Contains(img, "distroless") {
				return fmt.Errorf("line %d: final FROM %s, want a distroless image or scratch (no shell, no package manager)", final[0].line, img)
			}
			return nil
		}},
		{"static build", func() error {
			if !slices.ContainsFunc(all, func(in dockerInstruction) bool {
				return (in.cmd == "RUN" || in.cmd == "ENV" || in.cmd == "ARG") && regexp.MustCompile(`\bCGO_ENABLED=0\b`).MatchString(in.args)
			}) {
				return errors.New("no CGO_ENABLED=0: the binary must be static to run on distroless/static")
			}
			return nil
		}},
		{"non-root user", func() error {
			u, ok := last(final, "USER")
			if !ok {
				return errors.New("the final stage sets no USER: it would run as root")
			}
			name, _, _ := strings.Cut(u.args, ":")
			if name == "root" || name == "0" || name == "" {
				return fmt.Errorf("line %d: USER %s, want a non-root user", u.line, u.args)
			}
			return nil
		}},
		{"healthcheck runs coachbot", func() error {
			h, ok := last(final, "HEALTHCHECK")
			if !ok {
				return errors.New("the final stage has no HEALTHCHECK")
			}
			if !strings.Contains(h.args, "/coachbot") || !strings.Contains(h.args, "healthcheck") {
				return fmt.Errorf("line %d: HEALTHCHECK %s, want it to run /coachbot healthcheck (no shell or curl in the image)", h.line, h.args)
			}
			return nil
		}},
		{"entrypoint is coachbot", func() error {
			e, ok := last(final, "ENTRYPOINT")
			if !ok || !strings.Contains(e.args, "/coachbot") {
				return fmt.Errorf("ENTRYPOINT %q, want /coachbot", e.args)
			}
			return nil
		}},
		{"EXPOSE is COACH_HTTP_ADDR's port", func() error {
			_, port, err := net.SplitHostPort(env["COACH_HTTP_ADDR"])
			if err != nil {
				return fmt.Errorf("ENV COACH_HTTP_ADDR=%q: %v", env["COACH_HTTP_ADDR"], err)
			}
			e, ok := last(final, "EXPOSE")
			if !ok || !slices.Contains(strings.Fields(e.args), port) {
				return fmt.Errorf("EXPOSE %q does not include COACH_HTTP_ADDR's port %s", e.args, port)
			}
			return nil
		}},
		{"compose builds it", func() error {
			var compose composeFile
			k.doc(t, "compose.yaml", &compose)
			b := compose.Services["coachbot"].Build
			if b.Context == "" || b.Dockerfile == "" {
				return fmt.Errorf("compose coachbot build is %+v, want context .. and dockerfile deploy/Dockerfile", b)
			}
			ctx := filepath.Join(k.dir, filepath.FromSlash(b.Context))
			if ctx != filepath.Dir(k.dir) {
				return fmt.Errorf("compose coachbot build context %q is %s, want the repository root (the Dockerfile copies go.mod from it)", b.Context, ctx)
			}
			if got, want := filepath.Join(ctx, filepath.FromSlash(b.Dockerfile)), filepath.Join(k.dir, "Dockerfile"); got != want {
				return fmt.Errorf("compose coachbot builds %s, want %s", got, want)
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.err(); err != nil {
				t.Errorf("deploy/Dockerfile: %v", err)
			}
		})
	}
}
