using Microsoft.Extensions.Logging;

namespace Arcp.DPoP;

/// <summary>
/// The handler's log messages, with stable event ids. They never carry the access token or the proof:
/// only thumbprints (public values), the failed check, and the request id a client sees in its problem document.
/// Event ids are 101 and up, clear of the ids the base AuthenticationHandler logs under the same category.
/// </summary>
internal static partial class DPoPLog
{
    [LoggerMessage(EventId = 101, EventName = "DPoPAccepted", Level = LogLevel.Debug,
        Message = "DPoP request accepted: jkt {Jkt}, alg {Algorithm}, request_id {RequestId}.")]
    public static partial void Accepted(ILogger logger, string jkt, string algorithm, string requestId);

    [LoggerMessage(EventId = 102, EventName = "BearerAccepted", Level = LogLevel.Debug,
        Message = "Unbound bearer token accepted (Mode is Allowed): request_id {RequestId}.")]
    public static partial void BearerAccepted(ILogger logger, string requestId);

    [LoggerMessage(EventId = 103, EventName = "NoCredentials", Level = LogLevel.Debug,
        Message = "No DPoP or Bearer access token on the request: request_id {RequestId}.")]
    public static partial void NoCredentials(ILogger logger, string requestId);

    [LoggerMessage(EventId = 104, EventName = "DPoPRejected", Level = LogLevel.Information,
        Message = "DPoP request rejected with {ProblemType} ({FailureCode}): {Detail} request_id {RequestId}.")]
    public static partial void Rejected(ILogger logger, string problemType, DPoPFailureCode failureCode, string detail, string requestId);

    [LoggerMessage(EventId = 105, EventName = "DPoPProofReplayed", Level = LogLevel.Warning,
        Message = "DPoP proof replayed: jkt {Jkt} reused a jti within its acceptance window. request_id {RequestId}.")]
    public static partial void ProofReplayed(ILogger logger, string jkt, string requestId);

    [LoggerMessage(EventId = 106, EventName = "DPoPBindingMismatch", Level = LogLevel.Information,
        Message = "DPoP key mismatch: the token is bound to jkt {ExpectedJkt}, the proof is signed by jkt {ActualJkt}. request_id {RequestId}.")]
    public static partial void BindingMismatch(ILogger logger, string expectedJkt, string actualJkt, string requestId);

    [LoggerMessage(EventId = 107, EventName = "AccessTokenInvalid", Level = LogLevel.Debug,
        Message = "Access token validation failed. request_id {RequestId}.")]
    public static partial void TokenValidationFailed(ILogger logger, string requestId, Exception exception);

    [LoggerMessage(EventId = 108, EventName = "ReplayCacheFailed", Level = LogLevel.Error,
        Message = "The DPoP replay cache could not record a proof; the request is refused (fail closed). request_id {RequestId}.")]
    public static partial void ReplayCacheFailed(ILogger logger, string requestId, Exception exception);

    [LoggerMessage(EventId = 109, EventName = "IssuerKeyRefreshRequested", Level = LogLevel.Information,
        Message = "The access token names a signing key the issuer metadata does not have; a metadata refresh was requested.")]
    public static partial void IssuerKeyRefreshRequested(ILogger logger);

    [LoggerMessage(EventId = 110, EventName = "DPoPForbidden", Level = LogLevel.Information,
        Message = "DPoP request authenticated but forbidden by authorization policy. request_id {RequestId}.")]
    public static partial void Forbidden(ILogger logger, string requestId);

    [LoggerMessage(EventId = 130, EventName = "TokenCheckDisabled", Level = LogLevel.Warning,
        Message = "DPoP scheme '{Scheme}': the access token check {Check} is switched off: {Consequence}")]
    public static partial void TokenCheckDisabled(ILogger logger, string scheme, string check, string consequence);

    [LoggerMessage(EventId = 131, EventName = "NoIssuerToValidate", Level = LogLevel.Warning,
        Message = "DPoP scheme '{Scheme}': ValidateIssuer is on but no issuer is configured (no Authority, MetadataAddress, ValidIssuer(s) or SigningKeys Issuer), so every access token will be refused. Set ValidIssuer, or ValidateIssuer = false for tokens without iss (ARCP's shared-secret tokens).")]
    public static partial void NoIssuerToValidate(ILogger logger, string scheme);
    [LoggerMessage(EventId = 111, EventName = "IssuerMetadataUnavailable", Level = LogLevel.Warning,
        Message = "The token issuer's metadata could not be fetched from {MetadataAddress} and none is cached; access tokens cannot be checked and requests get 503. request_id {RequestId}.")]
    public static partial void IssuerMetadataUnavailable(ILogger logger, string metadataAddress, string requestId, Exception exception);

    [LoggerMessage(EventId = 112, EventName = "ResourceMetadataIssuerUnavailable", Level = LogLevel.Warning,
        Message = "The protected resource metadata is served without the issuer from the token issuer's metadata, which could not be read; it is not cacheable. request_id {RequestId}.")]
    public static partial void ResourceMetadataIssuerUnavailable(ILogger logger, string requestId, Exception exception);

    [LoggerMessage(EventId = 113, EventName = "DPoPTokenRequestRejected", Level = LogLevel.Information,
        Message = "DPoP proof of a token request rejected with {ProblemType} ({FailureCode}): {Detail} request_id {RequestId}.")]
    public static partial void TokenRequestRejected(ILogger logger, string problemType, DPoPFailureCode failureCode, string detail, string requestId);

    [LoggerMessage(EventId = 114, EventName = "DPoPTokenRequestAccepted", Level = LogLevel.Debug,
        Message = "DPoP proof of a token request accepted: jkt {Jkt}, alg {Algorithm}, request_id {RequestId}.")]
    public static partial void TokenRequestAccepted(ILogger logger, string jkt, string algorithm, string requestId);
}
