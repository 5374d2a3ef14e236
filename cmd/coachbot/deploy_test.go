package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/coachbot/coachbot/adapters/redisstore/redistest"
	"github.com/google/go-cmp/cmp"
	"github.com/kelseyhightower/envconfig"
	"go.yaml.in/yaml/v3"
)

// These tests check what no YAML, Dockerfile or Kubernetes linter can: that
// the deploy kit (deploy/) agrees with coachbot itself (the COACH_ variables
// Config reads, the values LoadConfig accepts), that its files agree with
// each other (ports, names, labels, mounts), and that a real redis-server
// runs deploy/redis.conf with the settings coachbot's data depends on.
// Generic hygiene (schemas, resources, capabilities) is a linter's job.

// deployPlaceholder marks a value the operator must fill in.
const deployPlaceholder = "replace-me"

// deployFakes stand in for the operator's credentials: well-formed enough for
// Validate, so that the rest of each environment is what gets checked.
var deployFakes = map[string]string{
	"COACH_SLACK_BOT_TOKEN":      "xoxb-1-fake",
	"COACH_SLACK_SIGNING_SECRET": "fake-signing-secret",
	"COACH_SLACK_APP_TOKEN":      "xapp-1-fake",
	"COACH_DISCORD_TOKEN":        "fake.discord.token",
	"COACH_DISCORD_APP_ID":       "123456789012345678",
	"COACH_DISCORD_PUBLIC_KEY":   strings.Repeat("ab", 32),
	"COACH_SECRET_KEY":           strings.Repeat("cd", 32),
}

// drainSeconds is how long coachbot takes to stop after SIGTERM; the pod's
// grace period must cover it plus the preStop pause.
const drainSeconds = 7

var (
	coachVar    = regexp.MustCompile(`\bCOACH_[A-Z0-9_]*[A-Z0-9]\b`)
	coachAssign = regexp.MustCompile(`\b(COACH_[A-Z0-9_]+)=("[^"]*"|\S*)`)
	shellName   = regexp.MustCompile(`^[A-Z0-9_]+$`)
	confDir     = regexp.MustCompile(`(?m)^dir (\S+)$`)
	credential  = regexp.MustCompile(`TOKEN|SECRET|PASSWORD|REDIS_URL`) // a Redis URL may carry a password
)

// only reports whether a label selector (a Service's labels, or the other
// kinds' matchLabels) picks the pods labelled want and not those labelled
// other; an empty selector picks nothing, since every pod is never meant.
func only(sel map[string]any, want, other map[string]string) bool {
	if m, ok := sel["matchLabels"].(map[string]any); ok {
		sel = m
	}
	picks := func(labels map[string]string) bool {
		return len(sel) > 0 && !slices.ContainsFunc(slices.Collect(maps.Keys(sel)), func(k string) bool { return labels[k] != sel[k] })
	}
	return picks(want) && !picks(other)
}

type k8sProbe struct {
	HTTPGet struct{ Path, Port string } `yaml:"httpGet"`
}

type k8sContainer struct {
	Args           []string
	Ports          []map[string]string                // name, containerPort
	EnvFrom        []map[string]struct{ Name string } `yaml:"envFrom"` // configMapRef or secretRef
	LivenessProbe  k8sProbe                           `yaml:"livenessProbe"`
	ReadinessProbe k8sProbe                           `yaml:"readinessProbe"`
	Lifecycle      struct {
		PreStop struct{ Sleep struct{ Seconds int } } `yaml:"preStop"`
	}
	VolumeMounts []map[string]string `yaml:"volumeMounts"` // name, mountPath
}

// port resolves a port number or name to one of the container's port
// numbers, "" when it is none of them.
func (c k8sContainer) port(p string) string {
	for _, cp := range c.Ports {
		if p != "" && (p == cp["name"] || p == cp["containerPort"]) {
			return cp["containerPort"]
		}
	}
	return ""
}

// k8sObject holds the fields the tests read of every kind at once: each kind
// leaves the others' zero.
type k8sObject struct {
	file       string
	Kind       string
	Metadata   struct{ Name string }
	Data       map[string]string
	StringData map[string]string `yaml:"stringData"` // base64 data is not read: the kit's Secret uses stringData
	Resources  []string          // kustomization.yaml
	Spec       struct {
		Replicas     int
		ServiceName  string `yaml:"serviceName"`
		Selector     map[string]any
		MinAvailable int                 `yaml:"minAvailable"`
		ClusterIP    string              `yaml:"clusterIP"`
		Ports        []map[string]string // port, targetPort
		Template     struct {
			Metadata struct{ Labels, Annotations map[string]string }
			Spec     struct {
				TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
				Containers                    []k8sContainer
				Volumes                       []struct {
					Name      string
					ConfigMap struct{ Name string } `yaml:"configMap"`
				}
			}
		}
		VolumeClaimTemplates []struct{ Metadata struct{ Name string } } `yaml:"volumeClaimTemplates"`
	}
}

// deployKit is deploy/, read and decoded once per test.
type deployKit struct {
	files   map[string]string // every file's text, by path under deploy/
	k8s     []k8sObject       // every document of deploy/k8s/*.yaml
	compose struct {
		Services map[string]struct {
			Command, Volumes, Ports []string
			Environment             map[string]string
		}
	}
}

// loadDeployKit reads deploy/ and decodes every YAML document in it, failing
// the test on one that does not parse or does not fit the shapes above.
func loadDeployKit(t *testing.T) *deployKit {
	t.Helper()
	dir := filepath.Join(moduleRoot(t), "deploy")
	k := &deployKit{files: map[string]string{}}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		b, err := os.ReadFile(p)
		k.files[rel] = string(b)
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for i := 1; err == nil && strings.HasSuffix(rel, ".yaml"); i++ {
			var n yaml.Node
			o := k8sObject{file: rel}
			switch err = dec.Decode(&n); {
			case err == io.EOF:
				return nil
			case err == nil && rel == "compose.yaml":
				err = n.Decode(&k.compose)
			case err == nil && strings.HasPrefix(rel, "k8s/"):
				err = n.Decode(&o)
				k.k8s = append(k.k8s, o)
			}
			if err != nil {
				err = fmt.Errorf("deploy/%s: document %d: %w", rel, i, err)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(k.files) < 5 || len(k.k8s) < 5 {
		t.Fatalf("found %d files and %d Kubernetes documents under %s: the walk is broken", len(k.files), len(k.k8s), dir)
	}
	return k
}

// one returns the object of a kind and name ("" when the kind has only one).
func (k *deployKit) one(t *testing.T, kind, name string) k8sObject {
	t.Helper()
	objs := slices.DeleteFunc(slices.Clone(k.k8s), func(o k8sObject) bool {
		return o.Kind != kind || name != "" && o.Metadata.Name != name
	})
	if len(objs) != 1 {
		t.Fatalf("deploy/k8s has %d objects of kind %s named %q, want 1", len(objs), kind, name)
	}
	return objs[0]
}

// container returns a workload's container: the kit's workloads have one.
func container(t *testing.T, o k8sObject) k8sContainer {
	t.Helper()
	if len(o.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("deploy/%s: %s %s has %d containers, want 1", o.file, o.Kind, o.Metadata.Name, len(o.Spec.Template.Spec.Containers))
	}
	return o.Spec.Template.Spec.Containers[0]
}

// botEnv returns the ConfigMap and Secret the coachbot container's envFrom
// names: failing here is the envFrom wiring check.
func (k *deployKit) botEnv(t *testing.T) (cm, secret k8sObject) {
	t.Helper()
	refs := map[string]string{}
	for _, ef := range container(t, k.one(t, "Deployment", "")).EnvFrom {
		for kind, ref := range ef {
			refs[kind] = ref.Name
		}
	}
	return k.one(t, "ConfigMap", refs["configMapRef"]), k.one(t, "Secret", refs["secretRef"])
}

// TestDeployYAML names the check every other test relies on: each YAML
// document under deploy/ parses and fits the shapes the tests read.
func TestDeployYAML(t *testing.T) {
	loadDeployKit(t) // every document parses and fits; it fails the test otherwise
}

// TestDeployEnvNames reads every file of deploy/, comments included: a
// misspelt name in a comment misleads the operator as much as one in a key.
// The names known are asked from envconfig, so that split_words applies
// exactly as at start-up.
func TestDeployEnvNames(t *testing.T) {
	k := loadDeployKit(t)
	var usage bytes.Buffer
	if err := envconfig.Usagef("coach", &Config{}, &usage, "{{range .}}{{usage_key .}}\n{{end}}"); err != nil {
		t.Fatal(err)
	}
	keys := strings.Fields(usage.String())
	found := map[string]int{}
	for _, rel := range slices.Sorted(maps.Keys(k.files)) {
		for i, line := range strings.Split(k.files[rel], "\n") {
			for _, name := range coachVar.FindAllString(line, -1) {
				if found[rel]++; !slices.Contains(keys, name) {
					t.Errorf("deploy/%s:%d: %s is not a variable Config reads (%v)", rel, i+1, name, keys)
				}
			}
		}
	}
	for _, f := range []string{"Dockerfile", "compose.yaml", "k8s/configmap.yaml", "k8s/secret.yaml"} {
		if found[f] == 0 {
			t.Errorf("deploy/%s names no COACH_ variable: the scan or the file is broken", f)
		}
	}
}

// composeEnv returns coachbot's environment in compose.yaml as Compose passes
// it from an operator's shell. $NAME and ${NAME:-default} are read; any other
// form fails the test rather than be misread.
func composeEnv(t *testing.T, k *deployKit, shell map[string]string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for key, v := range k.compose.Services["coachbot"].Environment {
		env[key] = os.Expand(v, func(ref string) string {
			name, def, _ := strings.Cut(ref, ":-")
			if !shellName.MatchString(name) {
				t.Errorf("deploy/compose.yaml: %s=%q: this test reads only $NAME and ${NAME:-default}", key, v)
			}
			if s := shell[name]; s != "" {
				return s
			}
			return def
		})
	}
	return env
}

// deployFacts is what the tests want to know of a Config.
type deployFacts struct {
	Platforms               []string
	HTTP, Redis, SocketMode bool
	DiscordMode, LogFormat  string
	// PrivateMetrics: /metrics has its own port, not the public one.
	PrivateMetrics bool
}

// TestDeployConfigValidates gives the real LoadConfig each environment the
// kit defines, layered as the runtime layers them, and checks what it makes
// of them.
func TestDeployConfigValidates(t *testing.T) {
	k := loadDeployKit(t)
	cm, secret := k.botEnv(t)
	image := map[string]string{}
	for _, line := range strings.Split(k.files["Dockerfile"], "\n") {
		for _, m := range coachAssign.FindAllStringSubmatch(line, -1) {
			if !strings.HasPrefix(strings.TrimSpace(line), "#") {
				image[m[1]] = strings.Trim(m[2], `"`)
			}
		}
	}
	// merge layers environments, later ones winning as envFrom does over the
	// image's ENV. A placeholder becomes its fake, or is dropped (as by an
	// operator who has not chosen a value) when fakes has none.
	merge := func(fakes map[string]string, layers ...map[string]string) map[string]string {
		env := map[string]string{}
		for _, l := range layers {
			for key, v := range l {
				env[key] = v
				if fake, ok := fakes[key]; strings.Contains(v, deployPlaceholder) {
					delete(env, key)
					if ok {
						env[key] = fake
					}
				}
			}
		}
		return env
	}
	both := []string{"slack", "discord"}
	tests := []struct {
		name string
		env  map[string]string
		want deployFacts
	}{
		{"image defaults", image, deployFacts{HTTP: true, DiscordMode: "gateway", LogFormat: "json", PrivateMetrics: true}},
		{"compose with nothing set", merge(nil, image, composeEnv(t, k, nil)),
			deployFacts{HTTP: true, Redis: true, DiscordMode: "gateway", LogFormat: "json", PrivateMetrics: true}},
		{"compose with every credential", merge(nil, image, composeEnv(t, k, deployFakes)),
			deployFacts{Platforms: both, HTTP: true, Redis: true, SocketMode: true, DiscordMode: "gateway", LogFormat: "json", PrivateMetrics: true}},
		{"k8s ConfigMap without the Secret", merge(nil, image, cm.Data), deployFacts{HTTP: true, DiscordMode: "http", LogFormat: "json", PrivateMetrics: true}},
		// Replicas behind a Service: each request must reach just one of
		// them, so Discord over http and no Slack Socket Mode.
		{"k8s ConfigMap and Secret filled in", merge(deployFakes, image, cm.Data, secret.StringData),
			deployFacts{Platforms: both, HTTP: true, Redis: true, DiscordMode: "http", LogFormat: "json", PrivateMetrics: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t) // only the kit's values count
			for key, v := range tt.env {
				t.Setenv(key, v)
			}
			c, err := LoadConfig()
			if err != nil {
				t.Fatalf("coachbot would refuse to start: %v\nenvironment: %v", err, tt.env)
			}
			got := deployFacts{c.Platforms(), c.HTTPAddr != "", c.RedisURL != "", c.SlackAppToken != "", c.DiscordMode, c.LogFormat,
				c.MetricsAddr != "" && port(c.MetricsAddr) != port(c.HTTPAddr)}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Config (-want +got):\n%s", diff)
			}
		})
	}
}

// port returns the port of a host:port address, "" when it has none.
func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// TestDeployWiring checks that the kit's files agree with each other.
func TestDeployWiring(t *testing.T) {
	k := loadDeployKit(t)
	dirLine := confDir.FindStringSubmatch(k.files["redis.conf"])
	if dirLine == nil {
		t.Fatal("deploy/redis.conf sets no dir")
	}
	dir, composeRedis := dirLine[1], k.compose.Services["redis"] // the data volumes go on dir
	dep, pdb, redisSet := k.one(t, "Deployment", ""), k.one(t, "PodDisruptionBudget", ""), k.one(t, "StatefulSet", "")
	bot, rc := container(t, dep), container(t, redisSet)
	botPods, redisPods := dep.Spec.Template.Metadata.Labels, redisSet.Spec.Template.Metadata.Labels
	botSvc, redisSvc := k.one(t, "Service", dep.Metadata.Name), k.one(t, "Service", redisSet.Spec.ServiceName)
	cm, secret := k.botEnv(t)
	httpPort, metricsPort := port(cm.Data["COACH_HTTP_ADDR"]), port(cm.Data["COACH_METRICS_ADDR"])
	composeBot := k.compose.Services["coachbot"]
	composeMetrics := port(composeEnv(t, k, nil)["COACH_METRICS_ADDR"])
	var published []string // the container ports compose publishes
	for _, p := range composeBot.Ports {
		published = append(published, p[strings.LastIndex(p, ":")+1:])
	}
	redisURL, err := url.Parse(secret.StringData["COACH_REDIS_URL"])
	if err != nil {
		t.Fatal(err)
	}
	mounts := map[string]string{} // Redis's volume name -> mount path
	for _, m := range rc.VolumeMounts {
		mounts[m["name"]] = m["mountPath"]
	}
	var confMap string // the ConfigMap mounted where Redis's args read redis.conf
	for _, v := range redisSet.Spec.Template.Spec.Volumes {
		if v.ConfigMap.Name != "" && slices.Contains(rc.Args, mounts[v.Name]+"/redis.conf") {
			confMap = v.ConfigMap.Name
		}
	}
	// kubectl reports a listed file that is missing, not a file never listed.
	// ingress.yaml is left out on purpose: it depends on the cluster.
	listed, unlisted := slices.Concat(k.one(t, "Kustomization", "").Resources, []string{"kustomization.yaml", "ingress.yaml"}), []string{}
	for _, o := range k.k8s {
		if f := strings.TrimPrefix(o.file, "k8s/"); !slices.Contains(listed, f) {
			unlisted = append(unlisted, f)
		}
	}

	tests := []struct {
		want string
		ok   bool
		got  any
	}{
		{"liveness probe hits /healthz (never Redis) on a container port",
			bot.LivenessProbe.HTTPGet.Path == "/healthz" && bot.port(bot.LivenessProbe.HTTPGet.Port) != "", bot.LivenessProbe},
		{"readiness probe hits /readyz on a container port",
			bot.ReadinessProbe.HTTPGet.Path == "/readyz" && bot.port(bot.ReadinessProbe.HTTPGet.Port) != "", bot.ReadinessProbe},
		{"ConfigMap's COACH_HTTP_ADDR is on a container port", bot.port(httpPort) != "", []any{httpPort, bot.Ports}},
		{"ConfigMap's COACH_METRICS_ADDR is a container port of its own", metricsPort != "" && metricsPort != httpPort && bot.port(metricsPort) != "",
			[]any{metricsPort, bot.Ports}},
		{"the Prometheus annotation scrapes COACH_METRICS_ADDR's port", metricsPort != "" &&
			bot.port(dep.Spec.Template.Metadata.Annotations["prometheus.io/port"]) == metricsPort, dep.Spec.Template.Metadata.Annotations},
		{"ConfigMap holds no credentials", !slices.ContainsFunc(slices.Collect(maps.Keys(cm.Data)), credential.MatchString), cm.Data},
		{"grace period exceeds preStop + drain",
			dep.Spec.Template.Spec.TerminationGracePeriodSeconds > bot.Lifecycle.PreStop.Sleep.Seconds+drainSeconds, dep.Spec.Template.Spec},
		{"PDB selects only the bot's pods", only(pdb.Spec.Selector, botPods, redisPods), pdb.Spec.Selector},
		{"PDB's minAvailable lets a node drain", pdb.Spec.MinAvailable >= 1 && pdb.Spec.MinAvailable < dep.Spec.Replicas,
			[]int{pdb.Spec.MinAvailable, dep.Spec.Replicas}},
		{"bot Service selects only the bot's pods", only(botSvc.Spec.Selector, botPods, redisPods), botSvc.Spec.Selector},
		{"bot Service has one port, to the container's public one (the ingress reaches it: not /metrics)", len(botSvc.Spec.Ports) == 1 &&
			bot.port(botSvc.Spec.Ports[0]["targetPort"]) == httpPort, botSvc.Spec.Ports},
		{"Secret's COACH_REDIS_URL names the Redis Service", redisURL.Hostname() == redisSvc.Metadata.Name, redisURL.Host},
		{"Redis Service selects only Redis's pods", only(redisSvc.Spec.Selector, redisPods, botPods), redisSvc.Spec.Selector},
		{"Redis Service is headless", redisSvc.Spec.ClusterIP == "None", redisSvc.Spec.ClusterIP},
		{"Redis Service's port is the URL's and reaches Redis", len(redisSvc.Spec.Ports) == 1 &&
			redisSvc.Spec.Ports[0]["port"] == redisURL.Port() && rc.port(redisSvc.Spec.Ports[0]["targetPort"]) != "", redisSvc.Spec.Ports},
		{"one Redis pod (two would be two databases)", redisSet.Spec.Replicas == 1, redisSet.Spec.Replicas},
		{"a volume claim is mounted on redis.conf's dir", len(redisSet.Spec.VolumeClaimTemplates) == 1 &&
			mounts[redisSet.Spec.VolumeClaimTemplates[0].Metadata.Name] == dir, rc.VolumeMounts},
		{"Redis reads redis.conf from a mounted ConfigMap", confMap != "", rc.Args},
		{"kustomization lists every manifest but the optional ingress", len(unlisted) == 0, unlisted},
		{"compose serves /metrics on a port of its own, and does not publish it", composeMetrics != "" &&
			len(published) > 0 && !slices.Contains(published, composeMetrics), []any{composeMetrics, composeBot.Ports}},
		{"compose runs redis-server on ./redis.conf, mounted read-only", len(composeRedis.Command) == 2 &&
			slices.Contains(composeRedis.Volumes, "./redis.conf:"+composeRedis.Command[1]+":ro"), composeRedis},
		{"compose puts a named volume on redis.conf's dir (or the data dies with the container)", slices.ContainsFunc(composeRedis.Volumes,
			func(v string) bool { return strings.HasSuffix(v, ":"+dir) && !strings.HasPrefix(v, ".") }), composeRedis.Volumes},
	}
	for _, tt := range tests {
		if !tt.ok {
			t.Errorf("deploy/: want %s; got %+v", tt.want, tt.got)
		}
	}
	if confMap != "" {
		if diff := cmp.Diff(k.files["redis.conf"], k.one(t, "ConfigMap", confMap).Data["redis.conf"]); diff != "" {
			t.Errorf("ConfigMap %s differs from deploy/redis.conf (-file +ConfigMap); copy the file in:\n%s", confMap, diff)
		}
	}
}

// TestDeployRedisConfOnRealRedis starts redistest's redis-server with
// deploy/redis.conf included last, so that the file's settings win, and asks
// it for the settings coachbot's data depends on. The file's port and dir
// are left out (the test's server has its own; /data does not exist here),
// and the server listens on loopback only. appendonly goes back to Redis's
// default first: redistest turns it on, and the file must be what does.
func TestDeployRedisConfOnRealRedis(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "redis.conf")
	portDir := regexp.MustCompile(`(?m)^(port|dir) .*$`)
	if err := os.WriteFile(conf, []byte(portDir.ReplaceAllString(loadDeployKit(t).files["redis.conf"], "")), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("COACH_TEST_REDIS_URL", "") // a server started elsewhere would not run this file
	rdb := redistest.Start(t, redistest.Args("--appendonly", "no", "--include", conf, "--bind", "127.0.0.1")).Client()
	tests := []struct{ param, want, why string }{
		{"appendonly", "yes", "Redis is coachbot's only copy of its data"},
		{"appendfsync", "everysec", "lose at most a second on a crash"},
		{"maxmemory-policy", "noeviction", "an evicted key is a user's progress gone"},
		{"aof-use-rdb-preamble", "yes", "compact AOF, fast restarts"},
		{"requirepass", "", "the file is a ConfigMap: a password comes from a Secret"},
		{"maxmemory", "bytes > 0", "with noeviction a full Redis must refuse writes, not be OOM-killed"},
	}
	for _, tt := range tests {
		got, err := rdb.ConfigGet(context.Background(), tt.param).Result()
		n, _ := strconv.ParseInt(got[tt.param], 10, 64)
		if err != nil || got[tt.param] != tt.want && !(tt.want == "bytes > 0" && n > 0) {
			t.Errorf("CONFIG GET %s = %v (%v), want %q: %s", tt.param, got, err, tt.want, tt.why)
		}
	}
}

// TestDeployDockerfile scans lines for the mistakes that only show once the
// image runs, since it has no shell and no libc (distroless/static).
func TestDeployDockerfile(t *testing.T) {
	df := loadDeployKit(t).files["Dockerfile"]
	tests := []struct{ must, why string }{
		{`(?m)^HEALTHCHECK .*CMD \["/coachbot", *"healthcheck"\]$`, "coachbot healthcheck in exec form: there is no shell or curl"},
		{`(?m)^ENTRYPOINT \["/coachbot"\]$`, "/coachbot in exec form"},
		{`\bCGO_ENABLED=0\b`, "a static binary: distroless/static has no libc"},
	}
	for _, tt := range tests {
		if !regexp.MustCompile(tt.must).MatchString(df) {
			t.Errorf("deploy/Dockerfile: no line matches %s: want %s", tt.must, tt.why)
		}
	}
	users := regexp.MustCompile(`(?m)^USER ([^\s:]+)`).FindAllStringSubmatch(df, -1)
	if len(users) == 0 || slices.Contains([]string{"root", "0"}, users[len(users)-1][1]) {
		t.Errorf("deploy/Dockerfile: USER lines %q: the image must end on a non-root USER", users)
	}
}
