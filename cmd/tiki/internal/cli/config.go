package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tikisdk/tiki"
)

// Environment variables the command reads. The credential variables are
// the ones the SDK's examples read.
const (
	EnvAccessToken   = "TIKI_ACCESS_TOKEN"   // a Bearer access token
	EnvClientID      = "TIKI_CLIENT_ID"      // an in-house app (client credentials)
	EnvClientSecret  = "TIKI_CLIENT_SECRET"  // its secret
	EnvAuthStyle     = "TIKI_AUTH_STYLE"     // basic (default) or post
	EnvSellerKey     = "TIKI_SELLER_KEY"     // a legacy seller key
	EnvEnvironment   = "TIKI_ENV"            // sandbox (default) or production
	EnvBaseURL       = "TIKI_BASE_URL"       // any integration API base URL (a proxy, a tikifake)
	EnvProfile       = "TIKI_PROFILE"        // the profile to use
	EnvConfig        = "TIKI_CONFIG"         // the configuration file
	EnvWebhookSecret = "TIKI_WEBHOOK_SECRET" // the TikiNOW webhook secret
)

// The ways a profile authenticates.
const (
	authClientCredentials = "client-credentials"
	authOAuthApp          = "oauth-app"
	authAccessToken       = "access-token"
	authSellerKey         = "seller-key"
)

// authKinds lists the ways a profile authenticates, in the order help
// gives them.
var authKinds = []string{authClientCredentials, authOAuthApp, authAccessToken, authSellerKey}

// Config is the configuration file: named profiles, each one seller on one
// of Tiki's environments, and the profile used by default.
type Config struct {
	// Default names the profile used when neither --profile, TIKI_PROFILE
	// nor credentials in the environment say otherwise.
	Default string `yaml:"default,omitempty"`
	// Profiles by name.
	Profiles map[string]*Profile `yaml:"profiles,omitempty"`
}

// Profile is one seller on one of Tiki's environments, with the
// credentials of one way to authenticate. The secrets (client secret,
// tokens, seller key, webhook secret) are kept in the file, which is
// written readable by its owner only, and never printed.
type Profile struct {
	// Environment is sandbox (the default) or production.
	Environment string `yaml:"environment,omitempty"`
	// BaseURL replaces the environment's integration API base URL (a proxy,
	// a tikifake).
	BaseURL string `yaml:"base_url,omitempty"`
	// TikiNowURL replaces the TikiNOW business API base URL (webhook
	// registration).
	TikiNowURL string `yaml:"tikinow_url,omitempty"`
	// Auth is the way to authenticate: client-credentials, oauth-app,
	// access-token or seller-key.
	Auth string `yaml:"auth"`
	// ClientID is the app's client id (client-credentials, oauth-app).
	ClientID string `yaml:"client_id,omitempty"`
	// ClientSecret is the app's client secret (client-credentials,
	// oauth-app).
	ClientSecret string `yaml:"client_secret,omitempty"`
	// AuthStyle is how the app authenticates at the token endpoint: basic
	// (the default) or post.
	AuthStyle string `yaml:"auth_style,omitempty"`
	// Scopes are the OAuth2 scopes to ask for.
	Scopes []string `yaml:"scopes,omitempty"`
	// RedirectURL is the public app's registered redirect URL (oauth-app).
	RedirectURL string `yaml:"redirect_url,omitempty"`
	// SellerID is the seller a public app's profile acts for (oauth-app),
	// set by tiki config login; the seller's token is kept in the token
	// store beside the configuration file, under this id.
	SellerID string `yaml:"seller_id,omitempty"`
	// AccessToken is a Bearer token obtained elsewhere (access-token).
	AccessToken string `yaml:"access_token,omitempty"`
	// SellerKey is the legacy seller key (seller-key).
	SellerKey string `yaml:"seller_key,omitempty"`
	// WebhookSecret is the secret TikiNOW signs webhook deliveries with.
	WebhookSecret string `yaml:"webhook_secret,omitempty"`
}

// profileName is the form of a profile's name.
var profileName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// loadConfig reads the configuration file at path. A file that does not
// exist is an empty configuration (exists false).
func loadConfig(path string) (cfg *Config, exists bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{Profiles: map[string]*Profile{}}, false, nil
	}
	if err != nil {
		return nil, false, &cliError{code: ExitError, msg: fmt.Sprintf("reading the configuration file: %v", err), cause: err}
	}
	cfg = &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, true, &cliError{code: ExitUsage, msg: fmt.Sprintf("%s is not a valid configuration file: %s; fix it, or replace it with tiki config set",
			path, oneLine(strings.TrimPrefix(err.Error(), "yaml: ")))}
	}
	if cfg.Profiles == nil {
		cfg.Profiles = map[string]*Profile{}
	}
	var problems []string
	for _, name := range cfg.names() {
		p := cfg.Profiles[name]
		if p == nil {
			problems = append(problems, fmt.Sprintf("profile %q is empty", name))
			continue
		}
		for _, problem := range p.check() {
			problems = append(problems, fmt.Sprintf("profile %q: %s", name, problem))
		}
	}
	if cfg.Default != "" && cfg.Profiles[cfg.Default] == nil {
		problems = append(problems, fmt.Sprintf("default names profile %q, which the file does not have", cfg.Default))
	}
	if len(problems) > 0 {
		return nil, true, &cliError{code: ExitUsage, msg: fmt.Sprintf("%s: %s; fix the file, or replace the profile with tiki config set", path, strings.Join(problems, "; "))}
	}
	return cfg, true, nil
}

// names returns the profile names, sorted.
func (c *Config) names() []string {
	names := make([]string, 0, len(c.Profiles))
	for name := range c.Profiles {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// save writes the configuration to path, readable by its owner only,
// through a temporary file renamed over the old one.
func (c *Config) save(path string) error {
	b, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	b = append([]byte("# tiki configuration: profiles of sellers and Tiki environments (tiki config --help).\n# It holds secrets: keep it readable by you only.\n"), b...)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return &cliError{code: ExitError, msg: fmt.Sprintf("writing the configuration file: %v", err), cause: err}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.yaml")
	if err != nil {
		return &cliError{code: ExitError, msg: fmt.Sprintf("writing the configuration file: %v", err), cause: err}
	}
	defer os.Remove(tmp.Name()) // after a failure; renamed away otherwise
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(b)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return &cliError{code: ExitError, msg: fmt.Sprintf("writing the configuration file: %v", err), cause: err}
	}
	return nil
}

// check lists what is wrong with a profile, each problem with its fix.
func (p *Profile) check() []string {
	var out []string
	switch p.Environment {
	case "", string(tiki.Sandbox), string(tiki.Production):
	default:
		out = append(out, fmt.Sprintf("environment is %q: use sandbox or production", p.Environment))
	}
	switch p.AuthStyle {
	case "", "basic", "post":
	default:
		out = append(out, fmt.Sprintf("auth_style is %q: use basic or post", p.AuthStyle))
	}
	need := func(field, value string) {
		if value == "" {
			out = append(out, fmt.Sprintf("%s is required with auth %s", field, p.Auth))
		}
	}
	switch p.Auth {
	case authClientCredentials:
		need("client_id", p.ClientID)
		need("client_secret", p.ClientSecret)
	case authOAuthApp:
		need("client_id", p.ClientID)
		need("client_secret", p.ClientSecret)
	case authAccessToken:
		need("access_token", p.AccessToken)
	case authSellerKey:
		need("seller_key", p.SellerKey)
	case "":
		out = append(out, "auth is required: use one of "+strings.Join(authKinds, ", "))
	default:
		out = append(out, fmt.Sprintf("auth is %q: use one of %s", p.Auth, strings.Join(authKinds, ", ")))
	}
	if p.WebhookSecret != "" && len(p.WebhookSecret) != tiki.WebhookSecretLen {
		out = append(out, fmt.Sprintf("webhook_secret must be %d characters", tiki.WebhookSecretLen))
	}
	return out
}

// environment returns the profile's Tiki environment.
func (p *Profile) environment() tiki.Environment {
	if p.Environment == string(tiki.Production) {
		return tiki.Production
	}
	return tiki.Sandbox
}

// authStyle returns the profile's token endpoint authentication.
func (p *Profile) authStyle() tiki.AuthStyle {
	if p.AuthStyle == "post" {
		return tiki.AuthStylePost
	}
	return tiki.AuthStyleBasic
}

// host returns the scheme and host of the profile's API, where the OAuth2
// endpoints live.
func (p *Profile) host() string {
	base := p.BaseURL
	if base == "" {
		base = p.environment().URL()
	}
	if i := strings.Index(base, "://"); i >= 0 {
		if j := strings.IndexByte(base[i+3:], '/'); j >= 0 {
			return base[:i+3+j]
		}
	}
	return base
}

// secrets returns the profile's secrets, by field name, that are set.
func (p *Profile) secrets() map[string]string {
	out := map[string]string{}
	for name, v := range map[string]string{
		"client_secret": p.ClientSecret, "access_token": p.AccessToken, "seller_key": p.SellerKey,
		"webhook_secret": p.WebhookSecret,
	} {
		if v != "" {
			out[name] = v
		}
	}
	return out
}

// profileFromEnv builds a profile from the environment variables the SDK's
// examples read; nil when none of them is set.
func (a *app) profileFromEnv() (*Profile, error) {
	p := &Profile{
		Environment: strings.ToLower(a.getenv(EnvEnvironment)),
		BaseURL:     a.getenv(EnvBaseURL),
		AuthStyle:   strings.ToLower(a.getenv(EnvAuthStyle)),
	}
	id, secret := a.getenv(EnvClientID), a.getenv(EnvClientSecret)
	switch {
	case a.getenv(EnvAccessToken) != "":
		p.Auth, p.AccessToken = authAccessToken, a.getenv(EnvAccessToken)
	case id != "" || secret != "":
		if id == "" || secret == "" {
			return nil, &cliError{code: ExitUsage, msg: EnvClientID + " and " + EnvClientSecret + " go together: set both"}
		}
		p.Auth, p.ClientID, p.ClientSecret = authClientCredentials, id, secret
		p.Scopes = []string{tiki.ScopeProduct, tiki.ScopeOrder, tiki.ScopeInventory}
	case a.getenv(EnvSellerKey) != "":
		p.Auth, p.SellerKey = authSellerKey, a.getenv(EnvSellerKey)
	case p.BaseURL != "":
		// A base URL alone: a tikifake, with its default seller key, as
		// the SDK's examples do.
		p.Auth, p.SellerKey = authSellerKey, "tikitest-seller-key"
	default:
		return nil, nil
	}
	p.WebhookSecret = a.getenv(EnvWebhookSecret)
	var problems []string
	for _, problem := range p.check() {
		problem = strings.NewReplacer("environment is", EnvEnvironment+" is", "auth_style is", EnvAuthStyle+" is",
			"webhook_secret", EnvWebhookSecret).Replace(problem)
		problems = append(problems, problem)
	}
	if len(problems) > 0 {
		return nil, &cliError{code: ExitUsage, msg: strings.Join(problems, "; ")}
	}
	return p, nil
}

// checkConfigPermissions warns, once, when the configuration file holding
// secrets can be read by others.
func (a *app) checkConfigPermissions(path string, cfg *Config) {
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm()&0o077 == 0 {
		return
	}
	for _, p := range cfg.Profiles {
		if len(p.secrets()) > 0 {
			fmt.Fprintf(a.env.Stderr, "tiki: warning: %s holds secrets and others can read it: chmod 600 %s\n", path, path)
			return
		}
	}
}

// profileList returns the profile names of a configuration for a message:
// "(profiles: a, b)" or "(it has no profile)".
func profileList(cfg *Config) string {
	names := cfg.names()
	if len(names) == 0 {
		return "(it has no profile)"
	}
	return "(profiles: " + strings.Join(names, ", ") + ")"
}

// knownScopes are the OAuth2 scopes Tiki documents.
var knownScopes = []string{tiki.ScopeProduct, tiki.ScopeOrder, tiki.ScopeInventory, tiki.ScopeMultichannel, tiki.ScopeOffline}

// checkScopes refuses a scope Tiki does not document.
func checkScopes(scopes []string) error {
	for _, s := range scopes {
		if !slices.Contains(knownScopes, s) {
			return &cliError{code: ExitUsage, msg: fmt.Sprintf("--scopes: %q is not a scope Tiki documents: use %s", s, strings.Join(knownScopes, ", "))}
		}
	}
	return nil
}
