package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/sellers"
)

// configView is a profile as config show and config list print it: every
// setting, and for each secret only whether it is set.
type configView struct {
	// Source says where the credentials come from.
	Source string `json:"source"`
	// Profile is the profile's name; "" for the environment and the fake.
	Profile string `json:"profile,omitempty"`
	// Default reports the configuration file's default profile.
	Default bool `json:"default,omitempty"`
	// Environment is sandbox or production.
	Environment string `json:"environment"`
	// BaseURL is the integration API base URL the calls go to.
	BaseURL string `json:"base_url"`
	// TikiNowURL replaces the TikiNOW business API base URL.
	TikiNowURL string `json:"tikinow_url,omitempty"`
	// Auth is the way to authenticate.
	Auth string `json:"auth"`
	// ClientID is the app's client id (not a secret).
	ClientID string `json:"client_id,omitempty"`
	// AuthStyle is how the app authenticates at the token endpoint.
	AuthStyle string `json:"auth_style,omitempty"`
	// Scopes are the OAuth2 scopes asked for.
	Scopes []string `json:"scopes,omitempty"`
	// RedirectURL is the public app's redirect URL.
	RedirectURL string `json:"redirect_url,omitempty"`
	// SellerID is the seller a public app's profile acts for.
	SellerID string `json:"seller_id,omitempty"`
	// Secrets says, for each secret of the profile, "set" or "not set":
	// never its value.
	Secrets map[string]string `json:"secrets"`
}

// secretNames returns the secrets a way to authenticate uses.
func secretNames(auth string) []string {
	switch auth {
	case authClientCredentials:
		return []string{"client_secret"}
	case authOAuthApp:
		return []string{"client_secret", "token"}
	case authAccessToken:
		return []string{"access_token"}
	case authSellerKey:
		return []string{"seller_key"}
	}
	return nil
}

// view describes a profile without its secrets. A public app's seller
// token, in the token store, is "set", "revoked" or "not set".
func (a *app) view(source, name string, p *Profile) configView {
	v := configView{Source: source, Profile: name, Environment: string(p.environment()), BaseURL: p.BaseURL,
		TikiNowURL: p.TikiNowURL, Auth: p.Auth, ClientID: p.ClientID, AuthStyle: p.AuthStyle, Scopes: p.Scopes,
		RedirectURL: p.RedirectURL, SellerID: p.SellerID, Secrets: map[string]string{}}
	if v.BaseURL == "" {
		v.BaseURL = p.environment().URL()
	}
	set := p.secrets()
	for _, name := range append(secretNames(p.Auth), "webhook_secret") {
		if set[name] != "" {
			v.Secrets[name] = "set"
		} else {
			v.Secrets[name] = "not set"
		}
	}
	if p.Auth == authOAuthApp && p.SellerID != "" {
		if store, err := a.tokenStore(); err == nil {
			if tok, err := store.Load(context.Background(), p.SellerID); err == nil && tok.Revoked != "" {
				v.Secrets["token"] = "revoked: sign the seller in again"
			} else if err == nil {
				v.Secrets["token"] = "set"
			}
		}
	}
	return v
}

// secretsText renders the secrets of a view: "client_secret set, ...".
func secretsText(v *configView) string {
	names := make([]string, 0, len(v.Secrets))
	for name := range v.Secrets {
		names = append(names, name)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = name + " " + v.Secrets[name]
	}
	return strings.Join(parts, ", ")
}

var configColumns = []column[configView]{
	{"profile", "PROFILE", func(v *configView) string { return v.Profile }},
	{"default", "DEFAULT", func(v *configView) string { return yesNo(v.Default) }},
	{"source", "SOURCE", func(v *configView) string { return v.Source }},
	{"environment", "ENVIRONMENT", func(v *configView) string { return v.Environment }},
	{"base_url", "BASE URL", func(v *configView) string { return v.BaseURL }},
	{"tikinow_url", "TIKINOW URL", func(v *configView) string { return v.TikiNowURL }},
	{"auth", "AUTH", func(v *configView) string { return v.Auth }},
	{"client_id", "CLIENT ID", func(v *configView) string { return v.ClientID }},
	{"auth_style", "AUTH STYLE", func(v *configView) string { return v.AuthStyle }},
	{"scopes", "SCOPES", func(v *configView) string { return strings.Join(v.Scopes, " ") }},
	{"redirect_url", "REDIRECT URL", func(v *configView) string { return v.RedirectURL }},
	{"seller_id", "SELLER ID", func(v *configView) string { return v.SellerID }},
	{"secrets", "SECRETS", secretsText},
}

var profileColumns = []column[configView]{
	configColumns[0], configColumns[1], configColumns[3], configColumns[6], configColumns[4],
}

func (a *app) configCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Manage profiles: sellers and Tiki environments, with their credentials",
		Long: `Profiles live in the configuration file (tiki config path): one seller on one of Tiki's environments each,
with one way to authenticate:

  client-credentials  an in-house app: client id and secret
  oauth-app           a public app acting for a seller who approved it: client id and secret, then
                      tiki config login NAME signs the seller in (the tokens are kept and renewed)
  access-token        a Bearer token obtained elsewhere (it cannot be renewed)
  seller-key          the legacy seller key

Secrets are never taken from the command line: config set asks for them on a terminal, without echo, or reads
them from stdin, one a line. They are kept in the file, readable by its owner only, and never printed.

Which credentials a command uses: --fake, else --profile (or TIKI_PROFILE), else the credentials in the
environment (TIKI_CLIENT_ID and TIKI_CLIENT_SECRET, TIKI_ACCESS_TOKEN, TIKI_SELLER_KEY; TIKI_ENV, TIKI_BASE_URL),
else the file's default profile.`,
		Example: `  tiki config set shop --auth client-credentials --client-id 1234 --environment sandbox
  tiki config use shop
  tiki config show
  tiki config list`,
	}
	cmd.AddCommand(a.configShowCommand(), a.configListCommand(), a.configSetCommand(), a.configUseCommand(),
		a.configDeleteCommand(), a.configLoginCommand(), a.configPathCommand())
	return cmd
}

func (a *app) configShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show",
		Short: "Show the settings a command would use now (secrets only as set or not set)",
		Example: `  tiki config show
  tiki --profile shop config show -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.resolve()
			if err != nil {
				return err
			}
			var v configView
			if s.profile == nil {
				v = configView{Source: s.source, Environment: "fake", BaseURL: "http://127.0.0.1:PORT/integration (a free port at each run)",
					Auth: authAccessToken + " (the fake's)", Secrets: map[string]string{}}
			} else {
				v = a.view(s.source, s.name, s.profile)
				v.Default = s.isDefault
			}
			return writeOne(a, &v, configColumns, nil)
		},
	}
}

func (a *app) configListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the profiles of the configuration file",
		Example: `  tiki config list`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, path, err := a.readConfig()
			if err != nil {
				return err
			}
			var rows []configView
			for _, name := range cfg.names() {
				rows = append(rows, a.profileView(cfg, path, name))
			}
			if len(rows) == 0 && a.format() == formatTable {
				fmt.Fprintf(a.env.Stderr, "No profiles in %s: add one with tiki config set NAME.\n", path)
				return nil
			}
			return writeList(a, profileColumns, "profiles", rows)
		},
	}
}

func (a *app) configSetCommand() *cobra.Command {
	var (
		p              Profile
		scopes         []string
		makeDefault    bool
		replaceSecrets bool
	)
	cmd := &cobra.Command{
		Use:   "set NAME",
		Short: "Add a profile, or change one (secrets are asked for, never given as flags)",
		Long: `Add a profile, or change the settings given as flags of an existing one. The secret the way to authenticate
needs (client secret, access token, seller key) is asked for on a terminal, without echo, or read from stdin
(one line), when the profile is new, its --auth changes, or --replace-secret is given. The first profile
becomes the default.`,
		Example: `  tiki config set shop --auth client-credentials --client-id 1234 --environment production
  printf '%s\n' "$SECRET" | tiki config set shop-sandbox --auth client-credentials --client-id 1234
  tiki config set public --auth oauth-app --client-id 1234 --redirect-url https://shop.example/tiki/callback --scopes product,order,offline
  tiki config set local --auth seller-key --base-url http://127.0.0.1:8080/integration < key.txt`,
		Args: exactArgs(1, "a profile NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if !profileName.MatchString(name) {
				return usagef(cmd, "profile name %q: use letters, digits, dots, dashes and underscores (at most 64)", name)
			}
			if err := checkScopes(splitList(scopes)); err != nil {
				return err
			}
			cfg, path, err := a.readConfig()
			if err != nil {
				return err
			}
			old := cfg.Profiles[name]
			next := &Profile{}
			if old != nil {
				*next = *old
			}
			flags := cmd.Flags()
			for _, f := range []struct {
				flag string
				dst  *string
				val  string
			}{
				{"environment", &next.Environment, p.Environment}, {"base-url", &next.BaseURL, p.BaseURL},
				{"tikinow-url", &next.TikiNowURL, p.TikiNowURL}, {"auth", &next.Auth, p.Auth},
				{"client-id", &next.ClientID, p.ClientID}, {"auth-style", &next.AuthStyle, p.AuthStyle},
				{"redirect-url", &next.RedirectURL, p.RedirectURL}, {"seller-id", &next.SellerID, p.SellerID},
			} {
				if flags.Changed(f.flag) {
					*f.dst = strings.TrimSpace(f.val)
				}
			}
			if flags.Changed("scopes") {
				next.Scopes = splitList(scopes)
			}
			if next.Auth == "" {
				return usagef(cmd, "--auth is required for a new profile: one of %s", strings.Join(authKinds, ", "))
			}
			if !slices.Contains(authKinds, next.Auth) {
				return usagef(cmd, "--auth %q is not a way to authenticate: use one of %s", next.Auth, strings.Join(authKinds, ", "))
			}
			for _, u := range []struct{ flag, value string }{{"--base-url", next.BaseURL}, {"--tikinow-url", next.TikiNowURL}, {"--redirect-url", next.RedirectURL}} {
				if u.value == "" {
					continue
				}
				if parsed, err := url.Parse(u.value); err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") || parsed.Host == "" {
					return usagef(cmd, "%s %q is not a web address: write it with https://", u.flag, u.value)
				}
			}
			authChanged := old == nil || old.Auth != next.Auth
			if authChanged {
				next.ClientSecret, next.AccessToken, next.SellerKey, next.SellerID = "", "", "", ""
			}
			if authChanged || replaceSecrets {
				if err := a.askSecret(next, name); err != nil {
					return err
				}
			}
			if problems := next.check(); len(problems) > 0 {
				return usagef(cmd, "profile %s: %s", name, strings.Join(problems, "; "))
			}
			cfg.Profiles[name] = next
			if makeDefault || cfg.Default == "" {
				cfg.Default = name
			}
			if err := cfg.save(path); err != nil {
				return err
			}
			fmt.Fprintf(a.env.Stderr, "Saved profile %s in %s.\n", name, path)
			if next.Auth == authOAuthApp && next.SellerID == "" {
				fmt.Fprintf(a.env.Stderr, "Sign the seller in with: tiki config login %s\n", name)
			}
			return a.writeProfile(cfg, path, name)
		},
	}
	f := cmd.Flags()
	f.StringVar(&p.Environment, "environment", "", "sandbox (the default) or production")
	f.StringVar(&p.BaseURL, "base-url", "", "an integration API base URL instead of the environment's (a proxy, a tikifake)")
	f.StringVar(&p.TikiNowURL, "tikinow-url", "", "the TikiNOW business API base URL (webhook registration) instead of production's")
	f.StringVar(&p.Auth, "auth", "", "how to authenticate: "+strings.Join(authKinds, ", "))
	f.StringVar(&p.ClientID, "client-id", "", "the app's client id (client-credentials, oauth-app)")
	f.StringVar(&p.AuthStyle, "auth-style", "", "how the app authenticates at the token endpoint: basic (the default) or post")
	f.StringSliceVar(&scopes, "scopes", nil, "OAuth2 scopes: "+strings.Join(knownScopes, ", "))
	f.StringVar(&p.RedirectURL, "redirect-url", "", "the public app's registered redirect URL (oauth-app)")
	f.StringVar(&p.SellerID, "seller-id", "", "the seller a public app's profile acts for (oauth-app; tiki config login sets it)")
	f.BoolVar(&makeDefault, "default", false, "make it the default profile")
	f.BoolVar(&replaceSecrets, "replace-secret", false, "ask for the profile's secret again")
	_ = cmd.RegisterFlagCompletionFunc("environment", fixedCompletion("sandbox", "production"))
	_ = cmd.RegisterFlagCompletionFunc("auth", fixedCompletion(authKinds...))
	_ = cmd.RegisterFlagCompletionFunc("auth-style", fixedCompletion("basic", "post"))
	_ = cmd.RegisterFlagCompletionFunc("scopes", fixedCompletion(knownScopes...))
	return cmd
}

// profileView describes a profile of the configuration file at path.
func (a *app) profileView(cfg *Config, path, name string) configView {
	v := a.view("profile "+name+" ("+path+")", name, cfg.Profiles[name])
	v.Default = cfg.Default == name
	return v
}

// writeProfile prints a profile of the configuration file at path.
func (a *app) writeProfile(cfg *Config, path, name string) error {
	v := a.profileView(cfg, path, name)
	return writeOne(a, &v, configColumns, nil)
}

// readConfig reads the configuration file of the run.
func (a *app) readConfig() (*Config, string, error) {
	path, _, err := a.configPath()
	if err != nil {
		return nil, "", err
	}
	cfg, _, err := loadConfig(path)
	return cfg, path, err
}

// configProfile reads the configuration file and one of its profiles,
// refusing a name it does not have.
func (a *app) configProfile(cmd *cobra.Command, name string) (*Config, string, *Profile, error) {
	cfg, path, err := a.readConfig()
	if err != nil {
		return nil, "", nil, err
	}
	p := cfg.Profiles[name]
	if p == nil {
		return nil, "", nil, usagef(cmd, "profile %q is not in %s %s", name, path, profileList(cfg))
	}
	return cfg, path, p, nil
}

// askSecret reads the secret the profile's way to authenticate needs.
func (a *app) askSecret(p *Profile, name string) error {
	var (
		prompt string
		dst    *string
	)
	switch p.Auth {
	case authClientCredentials, authOAuthApp:
		prompt, dst = "Client secret of profile "+name, &p.ClientSecret
	case authAccessToken:
		prompt, dst = "Access token of profile "+name, &p.AccessToken
	case authSellerKey:
		prompt, dst = "Seller key of profile "+name, &p.SellerKey
	default:
		return nil
	}
	s, err := a.readSecret(prompt)
	if err != nil {
		return err
	}
	if s == "" {
		return &cliError{code: ExitUsage, msg: fmt.Sprintf("%s is empty: give it on the terminal, or on stdin (one line)", strings.ToLower(prompt[:1])+prompt[1:])}
	}
	*dst = s
	return nil
}

func (a *app) configUseCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "use NAME",
		Short:   "Make a profile the default",
		Example: `  tiki config use shop`,
		Args:    exactArgs(1, "a profile NAME"),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, s string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return a.completeProfiles(cmd, args, s)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, path, _, err := a.configProfile(cmd, args[0])
			if err != nil {
				return err
			}
			cfg.Default = args[0]
			if err := cfg.save(path); err != nil {
				return err
			}
			fmt.Fprintf(a.env.Stderr, "Profile %s is the default.\n", args[0])
			return nil
		},
	}
}

func (a *app) configDeleteCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "delete NAME",
		Short:   "Delete a profile and its secrets",
		Example: `  tiki config delete old-shop`,
		Args:    exactArgs(1, "a profile NAME"),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, s string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return a.completeProfiles(cmd, args, s)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, path, _, err := a.configProfile(cmd, args[0])
			if err != nil {
				return err
			}
			delete(cfg.Profiles, args[0])
			if cfg.Default == args[0] {
				cfg.Default = ""
			}
			if err := cfg.save(path); err != nil {
				return err
			}
			fmt.Fprintf(a.env.Stderr, "Deleted profile %s.\n", args[0])
			return nil
		},
	}
}

func (a *app) configLoginCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "login NAME",
		Short: "Sign a seller in for a public app's profile (oauth-app) and keep the seller's token",
		Long: `Sign a seller in for a public app (oauth-app profile): the command prints the address of Tiki's consent page;
the seller opens it, signs in and approves the app; Tiki sends the browser to the app's redirect URL with a
code and a state. Paste that whole address back: the command checks the state, trades the code for the
seller's token, reads the seller's id and keeps the token in the token store beside the configuration file
(readable by its owner only). Each later command renews the token when it expires, once, and keeps Tiki's new
refresh token. A seller who withdrew the app is signed in again the same way.`,
		Example: `  tiki config login public`,
		Args:    exactArgs(1, "a profile NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			cfg, path, p, err := a.configProfile(cmd, name)
			if err != nil {
				return err
			}
			switch {
			case p.Auth != authOAuthApp:
				return usagef(cmd, "profile %s authenticates with %s: login is for oauth-app profiles", name, p.Auth)
			case p.RedirectURL == "":
				return usagef(cmd, "profile %s has no redirect URL: tiki config set %s --redirect-url URL (the one registered for the app)", name, name)
			}
			store, err := a.tokenStore()
			if err != nil {
				return err
			}
			s := &session{name: name, path: path, profile: p}
			where := tiki.WithEnvironment(p.environment())
			if p.BaseURL != "" {
				where = tiki.WithBaseURL(p.BaseURL)
			}
			pool, err := sellers.NewPool(s.oauthApp(), store, sellers.WithClientOptions(where, tiki.WithUserAgent(userAgent)))
			if err != nil {
				return usagef(cmd, "profile %s: %s", name, strings.TrimPrefix(err.Error(), "tiki: "))
			}
			onboarding, err := sellers.NewOnboarding(pool)
			if err != nil {
				return err
			}
			var raw [16]byte
			if _, err := rand.Read(raw[:]); err != nil {
				return err
			}
			browser := hex.EncodeToString(raw[:]) // this run stands for the seller's browser session
			consent, err := onboarding.ConsentURL(browser)
			if err != nil {
				return usagef(cmd, "profile %s: %s", name, strings.TrimPrefix(err.Error(), "tiki: "))
			}
			fmt.Fprintf(a.env.Stderr, "Open this address, sign in as the seller and approve the app:\n\n  %s\n\nThen paste the whole address Tiki sent the browser to: ", consent)
			line, err := a.readLine()
			if !a.env.StdinTerminal {
				fmt.Fprintln(a.env.Stderr) // the answer came without the Enter of a terminal
			}
			if err != nil {
				return &cliError{code: ExitUsage, msg: "reading the redirect address: " + err.Error(), cause: err}
			}
			back, err := url.Parse(strings.TrimSpace(line))
			if err != nil || back.RawQuery == "" {
				return usagef(cmd, "%q is not the address Tiki sent the browser to: paste it whole, with its code and state", strings.TrimSpace(line))
			}
			connected, err := onboarding.Complete(cmd.Context(), browser, back.Query())
			if errors.Is(err, sellers.ErrStateMismatch) || errors.Is(err, sellers.ErrStateReplayed) {
				return usagef(cmd, "%s: paste the address of this sign-in, not an older one", strings.TrimPrefix(err.Error(), "sellers: "))
			}
			if err != nil {
				return err
			}
			p.SellerID = connected.SellerID
			if err := cfg.save(path); err != nil {
				return err
			}
			seller := connected.SellerID
			if connected.Seller != nil && connected.Seller.Name != "" {
				seller = connected.Seller.Name + " (" + connected.SellerID + ")"
			}
			fmt.Fprintf(a.env.Stderr, "Signed in: profile %s acts for seller %s.\n", name, seller)
			return a.writeProfile(cfg, path, name)
		},
	}
}

func (a *app) configPathCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "path",
		Short:   "Print the configuration file's path",
		Example: `  tiki config path`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, _, err := a.configPath()
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(a.env.Stdout, path)
			return err
		},
	}
}
