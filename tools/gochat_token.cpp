// gochat-token: mints a GoChat SFU token (docs/tokens.md) and prints it,
// alone, on stdout, for operators, load tests and the project's run script:
// a client's join token, an admin token for POST /admin/channel/close, or
// the webhook token the SFU sends GoChat's webhook service.
#include <getopt.h>

#include <cerrno>
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/gochat-sfu/auth/token_verifier.hpp"
#include "plugins/gochat-sfu/config/plugin_settings.hpp"

namespace {

using gochat::jcfg::JcfgFile;
using gochat::sfu::PermissionBits;
using gochat::sfu::PluginSettings;

constexpr int kExitFailure = 1;  // a file, the config or minting failed
constexpr int kExitUsage = 2;    // the command line itself is wrong

constexpr int64_t kDefaultTtlSeconds = 120;  // GoChat's own token lifetime (client and admin)
constexpr size_t kMaxSecretFileBytes = 64 * 1024;
constexpr size_t kMaxConfigFileBytes = 1024 * 1024;

// Errors are raised where they are found and reported once, in main().
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};
struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// --perm names, the plugin config key holding each bit, and the field of
// the plugin's PermissionBits (docs/voice-control.md, Permissions: its
// defaults follow GoChat's code).
struct Permission {
    const char* name;
    const char* configKey;
    int PermissionBits::*bit;
};
constexpr Permission kPermissions[] = {
    {"connect", "voice_connect", &PermissionBits::connect},
    {"speak", "voice_speak", &PermissionBits::speak},
    {"video", "voice_video", &PermissionBits::video},
    {"mute", "voice_mute_members", &PermissionBits::muteMembers},
    {"deafen", "voice_deafen_members", &PermissionBits::deafenMembers},
    {"move", "voice_move_members", &PermissionBits::moveMembers},
    {"admin", "administrator", &PermissionBits::administrator},
};
// An ordinary member's rights, as in docs/tokens.md's example.
constexpr const char* kDefaultPermNames = "connect,speak,video";

// Which token: what it is for decides its claims and its secret.
enum class Kind {
    Client,   // a join token (typ sfu, user_id, channel_id, perms), auth_secret
    Admin,    // POST /admin/channel/close (typ admin, channel_id), auth_secret
    Webhook,  // X-Webhook-Token (typ sfu, id), the webhook service's secret
};

struct Options {
    Kind kind = Kind::Client;
    std::optional<std::string> serviceId;  // --id, webhook tokens
    std::optional<std::string> secret;
    std::optional<std::string> secretFile;
    std::optional<std::string> configPath;
    std::optional<int64_t> user;
    std::optional<int64_t> channel;
    std::optional<int64_t> guild;
    std::optional<int64_t> perms;
    std::vector<std::string> permLists;  // each --perm argument, unsplit
    bool moved = false;
    std::optional<int64_t> ttl;
    std::optional<std::string> issuer;
    std::optional<int64_t> issuedAt;
    bool help = false;
};

void printHelp() {
    std::cout <<
        R"(Usage: gochat-token --user ID --channel ID SECRET-SOURCE [OPTIONS]
       gochat-token --kind admin --channel ID SECRET-SOURCE [--ttl S]
       gochat-token --kind webhook --id SERVICE-ID --secret-file PATH [--ttl S]

Mints a GoChat SFU token (an HS256 JWT, see docs/tokens.md) and prints it,
and nothing else, on stdout.

Kinds (--kind, default client):
  client     a client's join token: typ "sfu", user_id, channel_id, perms,
             signed with the plugin's auth_secret (--user, --channel required)
  admin      an admin token for POST /admin/channel/close: typ "admin", aud
             ["sfu"], channel_id (0 = any channel), user_id 0, signed with the
             plugin's auth_secret, 120 s by default as GoChat issues them
             (--channel required)
  webhook    the X-Webhook-Token the SFU sends GoChat's webhook service:
             {"typ":"sfu","id":SERVICE-ID,"iat"}, signed with the WEBHOOK
             SERVICE's secret (--secret or --secret-file, never --config);
             no exp unless --ttl is given (--id required)

Secret (one source is required):
  --secret S           the HMAC-SHA256 secret. Other local users can read it
                       in the process list: prefer --secret-file or --config.
  --secret-file PATH   read the secret from PATH; one trailing newline (LF or
                       CRLF) is dropped, everything else is the secret.
  --config PATH        a janus.plugin.gochat.sfu.jcfg. The secret is its
                       general.auth_secret unless --secret or --secret-file
                       is given; the default issuer is its general.issuer
                       and the bits behind --perm names come from its
                       permissions group.

Claims:
  --user ID            user_id, a non-zero int64 (required; client only)
  --channel ID         channel_id, an int64 (required for client and admin);
                       0 leaves a client token's claim out, and the token
                       then names no channel; an admin token with 0 may
                       close any channel
  --id SERVICE-ID      the webhook token's id (the heartbeat's "id")
  --guild ID           guild_id, an int64 (informational; 0 leaves it out)
  (--guild, --perms, --perm and --moved are for client tokens only)
  --perms N            the permission bitmask, a decimal int64
  --perm LIST          comma-separated permission names, repeatable:
                       connect, speak, video, mute, deafen, move, admin.
                       Not together with --perms. Without either the token
                       gets )"
              << kDefaultPermNames << R"(.
  --moved              moved=true: the user was moved here by a moderator
                       (joins even if blocked; gets connect, speak and video)
  --ttl SECONDS        lifetime, > 0 (default )"
              << kDefaultTtlSeconds << R"(; webhook tokens: none, no exp)
  --issuer NAME        iss; must match the plugin's issuer (default: the
                       config's general.issuer, else gochat)
  --issued-at UNIX     iat in unix seconds (default now); exp is iat + ttl,
                       so a past value makes an expired token for tests
  -h, --help           show this text

Permission bits (name, config key, default bit):
)";
    for (const Permission& permission : kPermissions) {
        std::cout << "  " << std::left << std::setw(9) << permission.name << std::setw(23) << permission.configKey
                  << PermissionBits().*permission.bit << '\n';
    }
    std::cout << R"(
Exit status: 0 the token was printed; 1 a file or the config could not be
read, or minting failed; 2 the command line is wrong.

Examples:
  gochat-token --config /etc/janus/janus.plugin.gochat.sfu.jcfg \
      --user 42 --channel 789 --perm connect,speak
  gochat-token --kind admin --config /etc/janus/janus.plugin.gochat.sfu.jcfg \
      --channel 789
  gochat-token --kind webhook --secret-file /run/secrets/webhook --id sfu-eu-1
)";
}

int64_t parseInt64(const char* text, const char* option) {
    const std::string_view view(text);
    int64_t value = 0;
    const auto [end, ec] = std::from_chars(view.data(), view.data() + view.size(), value);
    if (view.empty() || ec != std::errc() || end != view.data() + view.size()) {
        throw UsageError(std::string(option) + " wants a 64-bit integer, not '" + text + "'");
    }
    return value;
}

template <typename T>
void setOnce(std::optional<T>& slot, T value, const char* option) {
    if (slot) throw UsageError(std::string(option) + " given twice");
    slot = std::move(value);
}

Kind parseKind(const char* text) {
    const std::string_view kind(text);
    if (kind == "client") return Kind::Client;
    if (kind == "admin") return Kind::Admin;
    if (kind == "webhook") return Kind::Webhook;
    throw UsageError(std::string("--kind is client, admin or webhook, not '") + text + "'");
}

// What each kind needs and refuses; the claims of one kind given to another
// are an operator's mistake, not something to ignore silently.
void validateKind(const Options& options) {
    const bool clientClaims =
        options.user || options.guild || options.perms || !options.permLists.empty() || options.moved;
    switch (options.kind) {
        case Kind::Client:
            if (!options.user) throw UsageError("--user is required");
            if (*options.user == 0) throw UsageError("--user must not be 0");
            if (!options.channel) throw UsageError("--channel is required (0 for a token naming no channel)");
            if (options.serviceId) throw UsageError("--id is for --kind webhook");
            return;
        case Kind::Admin:
            if (!options.channel) throw UsageError("--channel is required (0 for a token closing any channel)");
            if (clientClaims) throw UsageError("--user, --guild, --perms, --perm and --moved are for client tokens");
            if (options.serviceId) throw UsageError("--id is for --kind webhook");
            return;
        case Kind::Webhook:
            if (!options.serviceId || options.serviceId->empty()) throw UsageError("--id is required (the service id)");
            if (clientClaims || options.channel)
                throw UsageError("a webhook token carries no user, channel or permissions");
            if (options.configPath)
                throw UsageError(
                    "a webhook token is signed with the webhook service's secret, not the plugin's: "
                    "give --secret or --secret-file");
            if (options.issuer) throw UsageError("a webhook token has no issuer");
            return;
    }
}

void validate(const Options& options) {
    validateKind(options);
    if (options.secret && options.secretFile) throw UsageError("give --secret or --secret-file, not both");
    if (!options.secret && !options.secretFile && !options.configPath) {
        throw UsageError("no secret: give --secret, --secret-file or --config");
    }
    if (options.perms && !options.permLists.empty()) throw UsageError("give --perms or --perm, not both");
    if (options.ttl && *options.ttl <= 0) throw UsageError("--ttl must be positive");
    if (options.issuer && options.issuer->empty()) throw UsageError("--issuer must not be empty");
}

Options parseArguments(int argc, char** argv) {
    enum Flag {
        kKind = 256,
        kId,
        kSecret,
        kSecretFile,
        kConfig,
        kUser,
        kChannel,
        kGuild,
        kPerms,
        kPerm,
        kMoved,
        kTtl,
        kIssuer,
        kIssuedAt
    };
    static const option kLongOptions[] = {
        {"kind", required_argument, nullptr, kKind},
        {"id", required_argument, nullptr, kId},
        {"secret", required_argument, nullptr, kSecret},
        {"secret-file", required_argument, nullptr, kSecretFile},
        {"config", required_argument, nullptr, kConfig},
        {"user", required_argument, nullptr, kUser},
        {"channel", required_argument, nullptr, kChannel},
        {"guild", required_argument, nullptr, kGuild},
        {"perms", required_argument, nullptr, kPerms},
        {"perm", required_argument, nullptr, kPerm},
        {"moved", no_argument, nullptr, kMoved},
        {"ttl", required_argument, nullptr, kTtl},
        {"issuer", required_argument, nullptr, kIssuer},
        {"issued-at", required_argument, nullptr, kIssuedAt},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    Options options;
    opterr = 0;  // report bad options ourselves, in one format
    int flag;
    // The leading ':' makes a missing value come back as ':' rather than '?'.
    while ((flag = getopt_long(argc, argv, ":h", kLongOptions, nullptr)) != -1) {
        switch (flag) {
            case 'h': options.help = true; break;
            case kKind: options.kind = parseKind(optarg); break;
            case kId: setOnce(options.serviceId, std::string(optarg), "--id"); break;
            case kSecret: setOnce(options.secret, std::string(optarg), "--secret"); break;
            case kSecretFile: setOnce(options.secretFile, std::string(optarg), "--secret-file"); break;
            case kConfig: setOnce(options.configPath, std::string(optarg), "--config"); break;
            case kUser: setOnce(options.user, parseInt64(optarg, "--user"), "--user"); break;
            case kChannel: setOnce(options.channel, parseInt64(optarg, "--channel"), "--channel"); break;
            case kGuild: setOnce(options.guild, parseInt64(optarg, "--guild"), "--guild"); break;
            case kPerms: setOnce(options.perms, parseInt64(optarg, "--perms"), "--perms"); break;
            case kPerm: options.permLists.emplace_back(optarg); break;
            case kMoved: options.moved = true; break;
            case kTtl: setOnce(options.ttl, parseInt64(optarg, "--ttl"), "--ttl"); break;
            case kIssuer: setOnce(options.issuer, std::string(optarg), "--issuer"); break;
            case kIssuedAt: setOnce(options.issuedAt, parseInt64(optarg, "--issued-at"), "--issued-at"); break;
            case ':': throw UsageError(std::string(argv[optind - 1]) + " needs a value");
            default:  // glibc sets optopt for an unknown short option, 0 for a long one
                throw UsageError("unknown option " + (optopt ? std::string("-") + static_cast<char>(optopt)
                                                             : std::string(argv[optind - 1])));
        }
    }
    if (optind < argc) throw UsageError("unexpected argument '" + std::string(argv[optind]) + "'");
    if (!options.help) validate(options);
    return options;
}

struct FileCloser {
    void operator()(FILE* file) const { std::fclose(file); }
};

// The whole file, refusing anything larger than `limit` (a secret or a
// config is small; a device or a wrong path should not be slurped).
std::string readFile(const std::string& path, size_t limit, const char* what) {
    const std::unique_ptr<FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
    if (!file) throw Failure(std::string("cannot open ") + what + " " + path + ": " + std::strerror(errno));
    std::string content;
    char buffer[4096];
    size_t got;
    while ((got = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) {
        content.append(buffer, got);
        if (content.size() > limit) throw Failure(std::string(what) + " " + path + " is too large");
    }
    if (std::ferror(file.get())) {
        throw Failure(std::string("cannot read ") + what + " " + path + ": " + std::strerror(errno));
    }
    return content;
}

std::string readSecretFile(const std::string& path) {
    std::string secret = readFile(path, kMaxSecretFileBytes, "secret file");
    // Editors and `echo` add a newline that is not part of the secret.
    if (!secret.empty() && secret.back() == '\n') secret.pop_back();
    if (!secret.empty() && secret.back() == '\r') secret.pop_back();
    if (secret.empty()) throw Failure("secret file " + path + " is empty");
    return secret;
}

struct Settings {
    std::string secret;
    std::optional<std::string> issuer;  // general.issuer of the config, if set
    PermissionBits bits;
};

// The plugin's own reading of its config (plugins/gochat-sfu/config), so a
// token minted from it carries exactly the bits and issuer the plugin checks.
Settings loadSettings(const Options& options) {
    Settings settings;
    if (options.configPath) {
        std::string error;
        const std::optional<JcfgFile> config =
            JcfgFile::parse(readFile(*options.configPath, kMaxConfigFileBytes, "config"), error);
        if (!config) throw Failure(*options.configPath + ": " + error);
        const std::optional<PluginSettings> plugin = gochat::sfu::parsePluginSettings(*config, error);
        if (!plugin) throw Failure(*options.configPath + ": " + error);
        settings.bits = plugin->bits;
        if (config->find("general.issuer")) settings.issuer = plugin->issuer;
        if (!options.secret && !options.secretFile) {
            if (plugin->authSecret.empty()) throw Failure(*options.configPath + " has no general.auth_secret");
            settings.secret = plugin->authSecret;
        }
    }
    if (options.secret) settings.secret = *options.secret;
    if (options.secretFile) settings.secret = readSecretFile(*options.secretFile);
    if (settings.secret.empty()) throw UsageError("the secret must not be empty");
    return settings;
}

int64_t permissionMask(const Options& options, const Settings& settings) {
    if (options.perms) return *options.perms;
    std::vector<std::string> lists = options.permLists;
    if (lists.empty()) lists.emplace_back(kDefaultPermNames);
    uint64_t mask = 0;
    for (const std::string& list : lists) {
        size_t start = 0;
        while (start <= list.size()) {
            const size_t comma = std::min(list.find(',', start), list.size());
            const std::string name = list.substr(start, comma - start);
            start = comma + 1;
            if (name.empty()) throw UsageError("--perm has an empty name in '" + list + "'");
            bool known = false;
            for (const Permission& permission : kPermissions) {
                if (name == permission.name) {
                    mask |= uint64_t{1} << settings.bits.*permission.bit;
                    known = true;
                }
            }
            if (!known) {
                throw UsageError("unknown permission '" + name +
                                 "' (known: connect, speak, video, mute, deafen, move, admin)");
            }
        }
    }
    return static_cast<int64_t>(mask);
}

std::string mint(const Options& options, const Settings& settings) {
    gochat::auth::TokenPolicy policy;
    policy.secret = settings.secret;
    // --issuer, else the config's, else the policy's default ("gochat").
    if (options.issuer) {
        policy.issuer = *options.issuer;
    } else if (settings.issuer) {
        policy.issuer = *settings.issuer;
    }
    const int64_t issuedAt = options.issuedAt ? *options.issuedAt : static_cast<int64_t>(std::time(nullptr));
    switch (options.kind) {
        case Kind::Admin:
            return gochat::auth::mintAdminToken(*options.channel, policy, issuedAt,
                                                options.ttl.value_or(kDefaultTtlSeconds));
        case Kind::Webhook:
            // GoChat's webhook service checks no exp: the token lives in the
            // SFU's configuration until rotated.
            return gochat::auth::mintServiceToken(*options.serviceId, settings.secret, issuedAt,
                                                  options.ttl.value_or(0));
        case Kind::Client: break;
    }
    gochat::auth::TokenClaims claims;
    claims.userId = *options.user;
    claims.channelId = *options.channel;
    claims.guildId = options.guild.value_or(0);
    claims.perms = permissionMask(options, settings);
    claims.moved = options.moved;
    return gochat::auth::mintToken(claims, policy, issuedAt, options.ttl.value_or(kDefaultTtlSeconds));
}

int run(int argc, char** argv) {
    const Options options = parseArguments(argc, argv);
    if (options.help) {
        printHelp();
        return 0;
    }
    const Settings settings = loadSettings(options);
    const std::string token = mint(options, settings);
    if (token.empty()) throw Failure("could not mint the token");
    std::cout << token << '\n' << std::flush;
    if (!std::cout) throw Failure("could not write the token to stdout");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const UsageError& error) {
        std::cerr << "gochat-token: " << error.what() << "\nTry 'gochat-token --help'.\n";
        return kExitUsage;
    } catch (const Failure& error) {
        std::cerr << "gochat-token: " << error.what() << '\n';
        return kExitFailure;
    } catch (const std::exception& error) {
        std::cerr << "gochat-token: " << error.what() << '\n';
        return kExitFailure;
    }
}
