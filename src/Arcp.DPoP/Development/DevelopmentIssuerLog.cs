using Microsoft.Extensions.Logging;

namespace Arcp.DPoP.Development;

/// <summary>
/// The development issuer's log messages, with stable event ids from 150 (clear of the handler's 101–139).
/// Never a token or a proof: subjects and thumbprints only.
/// </summary>
internal static partial class DevelopmentIssuerLog
{
    [LoggerMessage(EventId = 150, EventName = "DevelopmentIssuerOn", Level = LogLevel.Warning,
        Message = "DEVELOPMENT issuer on for DPoP scheme '{Scheme}': token endpoint POST {Path}/token, metadata {Path}/.well-known/openid-configuration, signing key {KeyPath}. Its tokens are trusted only in Development.")]
    public static partial void On(ILogger logger, string scheme, string path, string keyPath);

    [LoggerMessage(EventId = 151, EventName = "DevelopmentIssuerOff", Level = LogLevel.Warning,
        Message = "AddDevelopmentIssuer() is called but the development issuer is off: {Reason}. Nothing is served under {Path} and its tokens are not trusted.")]
    public static partial void Off(ILogger logger, string reason, string path);

    [LoggerMessage(EventId = 152, EventName = "DevelopmentTokenIssued", Level = LogLevel.Information,
        Message = "Development issuer issued a DPoP-bound token: sub {Subject}, cnf.jkt {Jkt}.")]
    public static partial void TokenIssued(ILogger logger, string subject, string jkt);
}
