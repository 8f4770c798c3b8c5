using System.Diagnostics;
using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Net.Http.Headers;

namespace Arcp.DPoP;

/// <summary>
/// Authenticates requests that carry a DPoP-bound access token and a DPoP proof (RFC 9449), and answers every
/// refusal with an ARCP problem document and a <c>WWW-Authenticate: DPoP</c> challenge.
/// </summary>
/// <remarks>
/// The handler orchestrates; the checks live in <see cref="DPoPProofValidator"/> (the proof), the configured
/// <see cref="DPoPOptions.TokenHandler"/> (the access token) and <see cref="IDPoPReplayCache"/> (first use).
/// Order: headers, the proof's free checks, the token, the proof signature, the binding, then replay, last,
/// so that a proof refused for another reason never uses up its <c>jti</c>.
/// </remarks>
public class DPoPHandler : AuthenticationHandler<DPoPOptions>
{
    private readonly IDPoPReplayCache _replayCache;
    private readonly IDPoPNonceService _nonceService;

    /// <summary>Creates the handler.</summary>
    /// <param name="options">The scheme options.</param>
    /// <param name="logger">The logger factory.</param>
    /// <param name="encoder">The URL encoder.</param>
    /// <param name="replayCache">The store that records used proofs.</param>
    /// <param name="nonceService">Issues and checks server nonces when <see cref="DPoPOptions.RequireNonce"/> is on.</param>
    public DPoPHandler(IOptionsMonitor<DPoPOptions> options, ILoggerFactory logger, UrlEncoder encoder, IDPoPReplayCache replayCache, IDPoPNonceService nonceService)
        : base(options, logger, encoder)
    {
        _replayCache = replayCache;
        _nonceService = nonceService;
    }

    /// <summary>The events of the scheme.</summary>
    protected new DPoPEvents Events
    {
        get => (DPoPEvents)base.Events!;
        set => base.Events = value;
    }

    // Built once per options instance when they are post-configured.
    private DPoPProofValidator Validator => Options.ProofValidator ??= new DPoPProofValidator(Options);

    /// <inheritdoc />
    protected override Task<object> CreateEventsAsync() => Task.FromResult<object>(new DPoPEvents());

    /// <inheritdoc />
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        long started = Stopwatch.GetTimestamp();
        var result = await AuthenticateAsyncCore().ConfigureAwait(false);
        var metrics = Context.RequestServices.GetService<DPoPMetrics>();
        if (metrics is not null)
        {
            double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (result.Succeeded)
            {
                metrics.Accepted(Scheme.Name, result.Principal.HasClaim(c => c.Type == DPoPDefaults.JktClaimType), seconds);
            }
            else if (result.Failure is DPoPAuthenticationException refused)
            {
                metrics.Rejected(Scheme.Name, refused.Failure, seconds);
            }
        }

        return result;
    }

    private async Task<AuthenticateResult> AuthenticateAsyncCore()
    {
        var messageReceived = new DPoPMessageReceivedContext(Context, Scheme, Options);
        await Events.MessageReceived(messageReceived).ConfigureAwait(false);
        if (messageReceived.Result is not null)
        {
            return messageReceived.Result;
        }

        // 1. The access token: Authorization: DPoP <token> (RFC 9449 §7.1), or Bearer <token> from clients that send it so.
        string? token = messageReceived.Token;
        bool dpopScheme = true;
        if (string.IsNullOrEmpty(token))
        {
            var authorization = ReadAuthorization(out token, out dpopScheme, out var authorizationFailure);
            if (authorizationFailure is not null)
            {
                return await FailAsync(authorizationFailure).ConfigureAwait(false);
            }

            if (!authorization)
            {
                Log.NoCredentials(Logger, Context.TraceIdentifier);
                return AuthenticateResult.NoResult();
            }
        }

        // 2. The proof header: exactly one (RFC 9449 §4.3 item 1), then the checks that cost no signature.
        string? proof = messageReceived.Proof;
        if (proof is null)
        {
            StringValues proofs = Request.Headers[DPoPDefaults.ProofHeaderName];
            if (proofs.Count > 1)
            {
                return await FailAsync(new(DPoPFailureCode.ProofMultiple, FormattableString.Invariant(
                    $"The request has {proofs.Count} DPoP headers; send exactly one DPoP proof per request."))).ConfigureAwait(false);
            }

            proof = proofs.Count == 1 ? proofs[0] : null;
        }

        if (proof is not null && proof.Length <= Options.MaxProofLength && proof.Contains(',', StringComparison.Ordinal))
        {
            return await FailAsync(new(DPoPFailureCode.ProofMultiple,
                "The DPoP header holds more than one value (comma-separated); send exactly one DPoP proof per request.")).ConfigureAwait(false);
        }

        var validator = Validator;
        ParsedProof? parsed = null;
        if (!string.IsNullOrEmpty(proof))
        {
            if (!validator.TryGetRequestHtu(Request, out string expectedHtu, out var htuFailure))
            {
                return await FailAsync(htuFailure!).ConfigureAwait(false);
            }

            parsed = validator.Parse(proof, Request.Method, expectedHtu, token, out var proofFailure);
            if (parsed is null)
            {
                return await FailAsync(proofFailure!).ConfigureAwait(false);
            }

            // RFC 9449 §9: the server's nonce, when required.
            if (Options.RequireNonce)
            {
                var nonceFailure = await CheckNonceAsync(parsed).ConfigureAwait(false);
                if (nonceFailure is not null)
                {
                    return await FailAsync(nonceFailure).ConfigureAwait(false);
                }
            }
        }
        else if (proof is not null)
        {
            return await FailAsync(new(DPoPFailureCode.ProofMalformed, "The DPoP header is empty; it must carry a DPoP proof JWT.")).ConfigureAwait(false);
        }

        // 3. The access token itself.
        var (validated, tokenFailure, tokenException) = await ValidateTokenAsync(token!).ConfigureAwait(false);
        if (validated is null)
        {
            return await FailAsync(tokenFailure!, tokenException).ConfigureAwait(false);
        }

        string? jkt = validated.Jkt;
        string? cnfProblem = validated.ConfirmationProblem;
        if (jkt is null)
        {
            if (dpopScheme || Options.Mode == DPoPMode.Required)
            {
                return await FailAsync(new(DPoPFailureCode.TokenNotBound, dpopScheme
                    ? $"The access token was sent with the DPoP scheme but is not DPoP-bound: {cnfProblem} Ask the authorization server for a DPoP-bound token (send a DPoP proof to its token endpoint)."
                    : $"This API accepts only DPoP-bound access tokens, and this one is not: {cnfProblem} Ask the authorization server for a DPoP-bound token (send a DPoP proof to its token endpoint).")).ConfigureAwait(false);
            }
        }
        else if (parsed is null)
        {
            // RFC 9449 §7.2: a bound token downgraded to Bearer, or sent without its proof, is refused.
            return await FailAsync(new(DPoPFailureCode.ProofMissing, dpopScheme
                ? "The access token is DPoP-bound but the request has no DPoP header; sign a DPoP proof for this request with the token's key and send it in the DPoP header."
                : "The access token is DPoP-bound but was sent as a Bearer token without a DPoP proof (RFC 9449 §7.2); send it as 'Authorization: DPoP <token>' with a DPoP proof header.")).ConfigureAwait(false);
        }
        else if (!dpopScheme && !Options.AllowBearerWithProof)
        {
            // RFC 9449 §7.2 to the letter (AllowBearerWithProof off): a bound token is never a Bearer token, proof or not.
            return await FailAsync(new(DPoPFailureCode.ProofMissing,
                "The access token is DPoP-bound, and this API follows RFC 9449 §7.2: a DPoP-bound token must be sent as 'Authorization: DPoP <token>', not 'Bearer', even with a DPoP proof; change the Authorization scheme to DPoP.")).ConfigureAwait(false);
        }

        var identity = validated.Identity;
        var principal = new ClaimsPrincipal(identity);
        var tokenValidated = new DPoPTokenValidatedContext(Context, Scheme, Options, validated.SecurityToken, jkt)
        {
            Principal = principal,
            Properties = new AuthenticationProperties(),
        };
        await Events.TokenValidated(tokenValidated).ConfigureAwait(false);
        if (tokenValidated.Result is not null)
        {
            return tokenValidated.Result;
        }

        principal = tokenValidated.Principal ?? principal;
        var properties = tokenValidated.Properties;
        if (Options.SaveToken)
        {
            properties.StoreTokens(
            [
                new AuthenticationToken { Name = "access_token", Value = token! },
                new AuthenticationToken { Name = "token_type", Value = jkt is null ? DPoPDefaults.BearerAuthorizationScheme : DPoPDefaults.AuthorizationScheme },
            ]);
        }

        if (parsed is null)
        {
            // Mode Allowed: an unbound bearer token with no proof is a plain bearer token.
            Log.BearerAccepted(Logger, Context.TraceIdentifier);
            return AuthenticateResult.Success(new AuthenticationTicket(principal, properties, Scheme.Name));
        }

        // 4. The signature, with the proof's own key (the key must first import: on its curve, a usable modulus).
        var signatureFailure = DPoPProofValidator.VerifySignature(parsed);
        if (signatureFailure is not null)
        {
            return await FailAsync(signatureFailure).ConfigureAwait(false);
        }

        // 5. The binding: thumbprint(proof jwk) == cnf.jkt, compared in fixed time (RFC 9449 §6.1).
        if (jkt is not null && !FixedTimeEquals(parsed.Jkt, jkt))
        {
            Log.BindingMismatch(Logger, jkt, parsed.Jkt, Context.TraceIdentifier);
            return await FailAsync(new DPoPFailure(DPoPFailureCode.BindingMismatch, "DPoP proof key does not match token binding")
            {
                ExpectedJkt = jkt,
                ActualJkt = parsed.Jkt,
            }).ConfigureAwait(false);
        }

        // 6. First use, last of all (RFC 9449 §11.1): the entry lives as long as the proof could be accepted.
        var expiresAt = parsed.IssuedAt + Options.ProofLifetime + Options.ClockSkew;
        bool firstUse;
        try
        {
            firstUse = await _replayCache.TryAddAsync(DPoPProofValidator.ReplayKey(parsed.Jkt, parsed.Jti!), expiresAt, Context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !Context.RequestAborted.IsCancellationRequested)
        {
            // Fail closed: a proof whose first use cannot be recorded is never accepted.
            Log.ReplayCacheFailed(Logger, Context.TraceIdentifier, ex);
            return await FailAsync(new(DPoPFailureCode.ReplayCheckUnavailable, FormattableString.Invariant(
                $"This API cannot check DPoP proofs for replay right now, so it accepts none; retry in {Options.ReplayCheckRetryAfter.TotalSeconds:0} s with a new proof.")), ex).ConfigureAwait(false);
        }

        if (!firstUse)
        {
            Log.ProofReplayed(Logger, parsed.Jkt, Context.TraceIdentifier);
            return await FailAsync(new(DPoPFailureCode.ProofReplayed,
                "This DPoP proof was already used (same key and jti); make a new proof, with a new jti, for every request.")).ConfigureAwait(false);
        }

        var dpopProof = parsed.ToProof();
        if (jkt is not null && principal.Identity is ClaimsIdentity claimsIdentity)
        {
            claimsIdentity.AddClaim(new Claim(DPoPDefaults.JktClaimType, jkt, ClaimValueTypes.String, ClaimsIssuer));
        }

        var proofValidated = new DPoPProofValidatedContext(Context, Scheme, Options, dpopProof, validated.SecurityToken)
        {
            Principal = principal,
            Properties = properties,
        };
        await Events.ProofValidated(proofValidated).ConfigureAwait(false);
        if (proofValidated.Result is not null)
        {
            return proofValidated.Result;
        }

        if (parsed.RenewNonce)
        {
            // The proof's nonce is past half its life: hand out the next one before it expires (RFC 9449 §8.2).
            Response.Headers[DPoPDefaults.NonceHeaderName] = await _nonceService.GetNonceAsync(Context, Scheme.Name, Options).ConfigureAwait(false);
        }

        Log.Accepted(Logger, parsed.Jkt, dpopProof.Algorithm, Context.TraceIdentifier);
        return AuthenticateResult.Success(new AuthenticationTicket(proofValidated.Principal ?? principal, proofValidated.Properties, Scheme.Name));
    }

    private async Task<DPoPFailure?> CheckNonceAsync(ParsedProof parsed)
    {
        if (string.IsNullOrEmpty(parsed.Nonce))
        {
            return new(DPoPFailureCode.NonceRequired,
                "This API requires a server nonce in DPoP proofs (RFC 9449 §9): make a new proof whose nonce claim is the DPoP-Nonce response header's value.");
        }

        switch (await _nonceService.ValidateNonceAsync(Context, Scheme.Name, Options, parsed.Nonce).ConfigureAwait(false))
        {
            case DPoPNonceValidation.Valid:
                return null;
            case DPoPNonceValidation.ValidRenew:
                parsed.RenewNonce = true;
                return null;
            case DPoPNonceValidation.Expired:
                return new(DPoPFailureCode.NonceInvalid,
                    "The DPoP proof's nonce has expired: make a new proof with the nonce from this response's DPoP-Nonce header.");
            default:
                return new(DPoPFailureCode.NonceInvalid,
                    "The DPoP proof's nonce was not issued by this API (or by an instance with another Data Protection key ring): make a new proof with the nonce from this response's DPoP-Nonce header.");
        }
    }

    private bool ReadAuthorization(out string? token, out bool dpopScheme, out DPoPFailure? failure)
    {
        token = null;
        dpopScheme = false;
        failure = null;
        StringValues values = Request.Headers.Authorization;
        if (values.Count == 0 || string.IsNullOrEmpty(values[0]))
        {
            return false;
        }

        if (values.Count > 1)
        {
            failure = new(DPoPFailureCode.AuthorizationMalformed, "The request has more than one Authorization header; send exactly one: 'Authorization: DPoP <access token>'.");
            return true;
        }

        string header = values[0]!;
        int space = header.IndexOf(' ', StringComparison.Ordinal);
        ReadOnlySpan<char> scheme = space < 0 ? header : header.AsSpan(0, space);
        if (scheme.Equals(DPoPDefaults.AuthorizationScheme, StringComparison.OrdinalIgnoreCase))
        {
            dpopScheme = true;
        }
        else if (!scheme.Equals(DPoPDefaults.BearerAuthorizationScheme, StringComparison.OrdinalIgnoreCase))
        {
            return false; // another scheme's credentials: not ours to judge
        }

        ReadOnlySpan<char> value = space < 0 ? [] : header.AsSpan(space + 1).Trim(' ');
        if (value.IsEmpty)
        {
            failure = new(DPoPFailureCode.AuthorizationMalformed, $"The Authorization header has no access token after '{scheme}'; send 'Authorization: DPoP <access token>'.");
            return true;
        }

        if (!IsToken68(value))
        {
            failure = new(DPoPFailureCode.AuthorizationMalformed, "The access token in the Authorization header has characters a token68 cannot have (RFC 9449 §7.1, RFC 7235 §2.1).");
            return true;
        }

        token = value.ToString();
        return true;
    }

    // token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
    private static bool IsToken68(ReadOnlySpan<char> value)
    {
        int end = value.Length;
        while (end > 0 && value[end - 1] == '=')
        {
            end--;
        }

        if (end == 0)
        {
            return false;
        }

        foreach (char c in value[..end])
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '.' && c != '_' && c != '~' && c != '+' && c != '/')
            {
                return false;
            }
        }

        return true;
    }

    private async Task<(ValidatedToken? Token, DPoPFailure? Failure, Exception? Cause)> ValidateTokenAsync(string token)
    {
        var cache = Options.TokenCache;
        object? keysVersion = cache is null ? null : await CurrentIssuerKeysAsync().ConfigureAwait(false);
        if (keysVersion is not null && cache!.TryGet(token, keysVersion, out var cached))
        {
            return (cached, null, null);
        }

        TokenValidationResult result;
        try
        {
            result = await Options.TokenHandler.ValidateTokenAsync(token, Options.TokenValidationParameters).ConfigureAwait(false);
            if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException &&
                Options.RefreshOnIssuerKeyNotFound && Options.ConfigurationManager is not null)
            {
                // The issuer may have rotated its signing key: refresh the metadata in the background
                // (at most once per RefreshInterval), so the next request with the new kid is accepted.
                Options.ConfigurationManager.RequestRefresh();
                Log.IssuerKeyRefreshRequested(Logger);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.TokenValidationFailed(Logger, Context.TraceIdentifier, ex);
            return (null, new(DPoPFailureCode.TokenInvalid, "The access token could not be validated."), ex);
        }

        if (!result.IsValid)
        {
            if (result.Exception is not null)
            {
                Log.TokenValidationFailed(Logger, Context.TraceIdentifier, result.Exception);
            }

            var failure = DescribeTokenFailure(result.Exception, token);
            if (result.Exception is SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException or SecurityTokenInvalidAlgorithmException &&
                TokenSigningFailure.Describe(TryRead(token), await CurrentConfigurationAsync().ConfigureAwait(false), Options.TokenValidationParameters) is { } why)
            {
                // An algorithm or key type this API does not support, said as such rather than "unknown kid".
                failure = new(DPoPFailureCode.TokenInvalid, why);
            }

            return (null, failure, result.Exception);
        }

        string? jkt = ReadConfirmationThumbprint(result, out string? cnfProblem);
        var validated = new ValidatedToken(result.ClaimsIdentity, result.SecurityToken, jkt, cnfProblem);
        if (keysVersion is not null)
        {
            cache!.Add(token, validated, new DateTimeOffset(result.SecurityToken.ValidTo, TimeSpan.Zero), keysVersion);
        }

        return (validated, null, null);
    }

    private async ValueTask<Microsoft.IdentityModel.Tokens.BaseConfiguration?> CurrentConfigurationAsync()
    {
        if (Options.ConfigurationManager is not { } manager)
        {
            return null;
        }

        try
        {
            return await manager.GetConfigurationAsync(Context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return null;
        }
    }

    // What the issuer's signing keys are right now: the metadata configuration object (replaced on every refresh) or
    // the configured keys. Null when unknown, and then nothing is cached.
    private async ValueTask<object?> CurrentIssuerKeysAsync()
    {
        if (Options.ConfigurationManager is { } manager)
        {
            try
            {
                return await manager.GetConfigurationAsync(Context.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return null;
            }
        }

        var parameters = Options.TokenValidationParameters;
        return (object?)parameters.IssuerSigningKey ?? parameters.IssuerSigningKeys;
    }

    private DPoPFailure DescribeTokenFailure(Exception? exception, string token)
    {
        var parameters = Options.TokenValidationParameters;
        return exception switch
        {
            SecurityTokenExpiredException expired => new(DPoPFailureCode.TokenExpired, FormattableString.Invariant(
                $"The access token expired at {expired.Expires:yyyy-MM-dd'T'HH:mm:ss'Z'}; get a new one.")),
            SecurityTokenNotYetValidException notYet => new(DPoPFailureCode.TokenExpired, FormattableString.Invariant(
                $"The access token is not valid before {notYet.NotBefore:yyyy-MM-dd'T'HH:mm:ss'Z'}; check the issuer's and this server's clocks.")),
            SecurityTokenInvalidLifetimeException => new(DPoPFailureCode.TokenExpired, "The access token's lifetime is invalid (nbf is after exp)."),
            SecurityTokenNoExpirationException => new(DPoPFailureCode.TokenInvalid, "The access token has no exp claim; only tokens that expire are accepted."),
            // The configured audiences are not quoted: they are this API's configuration, not the caller's business.
            SecurityTokenInvalidAudienceException when string.IsNullOrWhiteSpace(ReadClaim(token, "aud")) => new(DPoPFailureCode.TokenInvalid,
                "The access token has no audience (aud); this API expects an audience it is configured for; ask for a token for this API."),
            SecurityTokenInvalidAudienceException => new(DPoPFailureCode.TokenInvalid,
                $"The access token's audience (aud {Sanitize.ForDetail(ReadClaim(token, "aud"))}) is not one this API accepts; ask for a token for this API."),
            SecurityTokenInvalidIssuerException => new(DPoPFailureCode.TokenInvalid,
                $"The access token's issuer (iss '{Sanitize.ForDetail(ReadClaim(token, "iss"))}') is not trusted by this API."),
            SecurityTokenSignatureKeyNotFoundException when string.IsNullOrEmpty(ReadHeader(token, "kid")) => new(DPoPFailureCode.TokenInvalid,
                "The access token names no key (no kid) and none of the issuer's keys verifies its signature."),
            SecurityTokenSignatureKeyNotFoundException => new(DPoPFailureCode.TokenInvalid,
                "The access token is signed with a key the issuer does not publish (unknown kid)."),
            SecurityTokenInvalidSignatureException => new(DPoPFailureCode.TokenInvalid, "The access token's signature is invalid."),
            SecurityTokenInvalidTypeException => new(DPoPFailureCode.TokenInvalid,
                $"The access token's typ '{Sanitize.ForDetail(ReadHeader(token, "typ"))}' is not an access token type (accepted: {string.Join(", ", parameters.ValidTypes ?? [])})."),
            SecurityTokenInvalidAlgorithmException => new(DPoPFailureCode.TokenInvalid, "The access token is signed with an algorithm this API does not accept."),
            SecurityTokenMalformedException or ArgumentException => new(DPoPFailureCode.TokenInvalid,
                "The access token is not a well-formed JWT (three base64url parts: header, payload, signature)."),
            InvalidOperationException or IOException or HttpRequestException => new(DPoPFailureCode.TokenInvalid,
                "The issuer's signing keys could not be retrieved, so the access token could not be validated; try again later."),
            _ => new(DPoPFailureCode.TokenInvalid, "The access token is invalid."),
        };
    }

    // For a failure's detail only: the token's own value of a claim or header, read without validation.
    private static string? ReadClaim(string token, string name)
    {
        var jwt = TryRead(token);
        if (jwt is null)
        {
            return null;
        }

        if (jwt.TryGetPayloadValue(name, out string? single))
        {
            return single;
        }

        return jwt.TryGetPayloadValue(name, out IList<string>? list) && list is not null ? string.Join(' ', list) : null;
    }

    private static string? ReadHeader(string token, string name) =>
        TryRead(token) is { } jwt && jwt.TryGetHeaderValue(name, out string? value) ? value : null;

    private static JsonWebToken? TryRead(string token)
    {
        try
        {
            return new JsonWebToken(token);
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenException or JsonException or FormatException)
        {
            return null;
        }
    }

    /// <summary>The token's <c>cnf.jkt</c> (RFC 9449 §6.1), or null with the reason.</summary>
    private static string? ReadConfirmationThumbprint(TokenValidationResult result, out string? problem)
    {
        problem = null;
        if (result.SecurityToken is not JsonWebToken jwt || !jwt.TryGetPayloadValue("cnf", out JsonElement cnf))
        {
            problem = "it has no cnf claim.";
            return null;
        }

        if (cnf.ValueKind != JsonValueKind.Object)
        {
            problem = "its cnf claim is not a JSON object.";
            return null;
        }

        if (!cnf.TryGetProperty("jkt", out var jkt) || jkt.ValueKind != JsonValueKind.String)
        {
            problem = "its cnf claim has no jkt (it may be bound another way, e.g. to a TLS certificate).";
            return null;
        }

        string? value = jkt.GetString();
        if (string.IsNullOrEmpty(value) || !Base64UrlStrict.IsValid(value))
        {
            problem = "its cnf.jkt is not a base64url thumbprint.";
            return null;
        }

        return value;
    }

    private static bool FixedTimeEquals(string left, string right)
    {
        if (left.Length != right.Length)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(
            MemoryMarshalBytes(left),
            MemoryMarshalBytes(right));

        static ReadOnlySpan<byte> MemoryMarshalBytes(string value) =>
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(value.AsSpan());
    }

    private async Task<AuthenticateResult> FailAsync(DPoPFailure failure, Exception? cause = null)
    {
        var exception = new DPoPAuthenticationException(failure, cause);
        Log.Rejected(Logger, failure.ProblemType.Slug, failure.Code, failure.Detail, Context.TraceIdentifier);
        var failed = new DPoPAuthenticationFailedContext(Context, Scheme, Options, exception);
        await Events.AuthenticationFailed(failed).ConfigureAwait(false);
        return failed.Result ?? AuthenticateResult.Fail(exception);
    }

    /// <inheritdoc />
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var authenticateResult = await HandleAuthenticateOnceSafeAsync().ConfigureAwait(false);
        var failure = (authenticateResult.Failure as DPoPAuthenticationException)?.Failure
            ?? (authenticateResult.Failure is null
                ? new DPoPFailure(DPoPFailureCode.NoCredentials,
                    "The request has no access token. Send 'Authorization: DPoP <access token>' and a DPoP proof in the 'DPoP' header (RFC 9449 §7.1).")
                : new DPoPFailure(DPoPFailureCode.TokenInvalid, "The request could not be authenticated."));

        var challenge = new DPoPChallengeContext(Context, Scheme, Options, properties)
        {
            AuthenticateFailure = authenticateResult.Failure,
            Failure = failure,
            Error = failure.Error,
            ErrorDescription = failure.Detail,
        };
        await Events.Challenge(challenge).ConfigureAwait(false);
        if (challenge.Handled || Response.HasStarted)
        {
            return;
        }

        failure = challenge.Failure ?? failure;
        if (failure.ProblemType.Status == StatusCodes.Status503ServiceUnavailable)
        {
            // Not a credential problem: no challenge, just when to come back.
            Response.Headers.RetryAfter = ((long)Math.Ceiling(Options.ReplayCheckRetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            Response.Headers.Append(HeaderNames.WWWAuthenticate, BuildChallenge(challenge.Error, challenge.ErrorDescription));
            if (Options.Mode == DPoPMode.Allowed && failure.Code == DPoPFailureCode.NoCredentials)
            {
                Response.Headers.Append(HeaderNames.WWWAuthenticate, DPoPDefaults.BearerAuthorizationScheme);
            }

            if (Options.RequireNonce)
            {
                // Every 401 carries a nonce, so the client's next proof can include it (RFC 9449 §9).
                Response.Headers[DPoPDefaults.NonceHeaderName] = await _nonceService.GetNonceAsync(Context, Scheme.Name, Options).ConfigureAwait(false);
            }
        }

        await DPoPProblemWriter.WriteAsync(Context, DPoPProblemWriter.Create(Context, failure, TimeProvider)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var forbidden = new DPoPForbiddenContext(Context, Scheme, Options, properties);
        await Events.Forbidden(forbidden).ConfigureAwait(false);
        if (forbidden.Handled || Response.HasStarted)
        {
            return;
        }

        Log.Forbidden(Logger, Context.TraceIdentifier);
        var failure = new DPoPFailure(DPoPFailureCode.Forbidden,
            "The access token and DPoP proof are valid, but this API's authorization policy does not allow this request (for example a missing scope or role).");
        await DPoPProblemWriter.WriteAsync(Context, DPoPProblemWriter.Create(Context, failure, TimeProvider)).ConfigureAwait(false);
    }

    // RFC 9449 §7.1: DPoP error="...", error_description="...", algs="..."
    private string BuildChallenge(string? error, string? errorDescription)
    {
        var builder = new StringBuilder(DPoPDefaults.AuthorizationScheme);
        char separator = ' ';
        if (!string.IsNullOrEmpty(error))
        {
            builder.Append(separator).Append("error=\"").Append(Sanitize.ForHeader(error)).Append('"');
            separator = ',';
            if (!string.IsNullOrEmpty(errorDescription))
            {
                builder.Append(", error_description=\"").Append(Sanitize.ForHeader(errorDescription)).Append('"');
            }
        }

        builder.Append(separator == ' ' ? " " : ", ").Append("algs=\"").Append(Validator.AllowedAlgorithms).Append('"');
        return builder.ToString();
    }
}
