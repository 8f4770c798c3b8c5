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

    private DPoPSchemeState? _state;

    // What the scheme builds from its options (validator, caches, token validation parameters), shared by its requests.
    private DPoPSchemeState State => _state ??= Context.RequestServices.GetRequiredService<DPoPSchemeStates>().Get(Scheme.Name, Options);

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
        // Events supply or refuse, never accept early: a Success() here does not end authentication (issue 11 item 4).
        var messageReceived = new DPoPMessageReceivedContext(Context, Scheme, Options);
        await Events.MessageReceived(messageReceived).ConfigureAwait(false);
        if (messageReceived.Result is { } received)
        {
            if (received.Failure is not null)
            {
                return await FailAsync(FromEvent(received.Failure), received.Failure).ConfigureAwait(false);
            }

            if (received.None)
            {
                return received;
            }
        }

        var state = State;

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

        var validator = state.Validator;
        ParsedProof? parsed = null;
        if (!string.IsNullOrEmpty(proof))
        {
            // The htu's origin: PublicOrigin, or a Host the application vouches for (issue 11 item 2).
            if (state.HostPolicy is not { } hostPolicy || !hostPolicy.Allows(Request.Host))
            {
                return await FailAsync(new(DPoPFailureCode.HtuMismatch, $"The request's Host '{Sanitize.ForDetail(Request.Host.Value)}' is not one this API serves, so no htu can match; send the request to this API's own address.")).ConfigureAwait(false);
            }

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
        var (validated, tokenFailure, tokenException) = await ValidateTokenAsync(state, token!).ConfigureAwait(false);
        if (validated is null)
        {
            return await FailAsync(tokenFailure!, tokenException).ConfigureAwait(false);
        }

        // A cnf this API cannot check is never an unbound token (issue 11 item 3): only a token with no cnf at all is.
        if (validated.ConfirmationFailure is { } confirmationFailure)
        {
            return await FailAsync(confirmationFailure).ConfigureAwait(false);
        }

        string? jkt = validated.Jkt;
        if (jkt is null)
        {
            if (dpopScheme || Options.Mode == DPoPMode.Required)
            {
                return await FailAsync(new(DPoPFailureCode.TokenNotBound, dpopScheme
                    ? "The access token was sent with the DPoP scheme but is not DPoP-bound: it has no cnf claim. Ask the authorization server for a DPoP-bound token (send a DPoP proof to its token endpoint)."
                    : "This API accepts only DPoP-bound access tokens, and this one is not: it has no cnf claim. Ask the authorization server for a DPoP-bound token (send a DPoP proof to its token endpoint).")).ConfigureAwait(false);
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

        // The principal's jkt is the thumbprint this request proved, and only that: the token's own claims may not
        // bring one (issue 11 item 16). An unbound bearer token has none.
        var identity = validated.Identity;
        foreach (var claim in identity.FindAll(DPoPDefaults.JktClaimType).ToList())
        {
            identity.TryRemoveClaim(claim);
        }

        var principal = new ClaimsPrincipal(identity);
        var tokenValidated = new DPoPTokenValidatedContext(Context, Scheme, Options, validated.SecurityToken, jkt)
        {
            Principal = principal,
            Properties = new AuthenticationProperties(),
        };
        await Events.TokenValidated(tokenValidated).ConfigureAwait(false);
        if (tokenValidated.Result is { } tokenResult)
        {
            if (tokenResult.Failure is not null)
            {
                return await FailAsync(FromEvent(tokenResult.Failure), tokenResult.Failure).ConfigureAwait(false);
            }

            if (tokenResult.None)
            {
                return tokenResult;
            }

            // Success(): the event's principal and properties are used, and every check below still runs.
        }

        principal = tokenValidated.Principal ?? principal;
        var properties = tokenValidated.Properties ?? new AuthenticationProperties();
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
            // Mode Allowed: a token with no cnf and no proof is a plain bearer token.
            RemoveJktClaims(principal);
            Log.BearerAccepted(Logger, Context.TraceIdentifier);
            return AuthenticateResult.Success(new AuthenticationTicket(principal, properties, Scheme.Name));
        }

        // 4. The binding first: thumbprint(proof jwk) == cnf.jkt, compared in fixed time (RFC 9449 §6.1). It costs one
        // hash, so a proof signed with a key the token is not bound to never costs a public-key operation.
        if (jkt is not null && !FixedTimeEquals(parsed.Jkt, jkt))
        {
            Log.BindingMismatch(Logger, jkt, parsed.Jkt, Context.TraceIdentifier);
            return await FailAsync(new DPoPFailure(DPoPFailureCode.BindingMismatch, "DPoP proof key does not match token binding")
            {
                ExpectedJkt = jkt,
                ActualJkt = parsed.Jkt,
            }).ConfigureAwait(false);
        }

        // 5. The signature, with the proof's own key (the key must first import: on its curve, a usable modulus).
        var signatureFailure = DPoPProofValidator.VerifySignature(parsed);
        if (signatureFailure is not null)
        {
            return await FailAsync(signatureFailure).ConfigureAwait(false);
        }

        validator.Remember(parsed);

        // 6. First use, last of all (RFC 9449 §11.1): the entry lives as long as the proof could be accepted.
        var replayFailure = await RecordFirstUseAsync(parsed).ConfigureAwait(false);
        if (replayFailure is not null)
        {
            return replayFailure;
        }

        var dpopProof = parsed.ToProof();
        RemoveJktClaims(principal);
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
        if (proofValidated.Result is { } proofResult)
        {
            // Every check has run: the event may accept (its ticket is used), decline or refuse.
            if (proofResult.Failure is not null)
            {
                return await FailAsync(FromEvent(proofResult.Failure), proofResult.Failure).ConfigureAwait(false);
            }

            return proofResult;
        }

        if (parsed.RenewNonce)
        {
            // The proof's nonce is past half its life: hand out the next one before it expires (RFC 9449 §8.2).
            Response.Headers[DPoPDefaults.NonceHeaderName] = await _nonceService.GetNonceAsync(Context, Scheme.Name, Options).ConfigureAwait(false);
        }

        Log.Accepted(Logger, parsed.Jkt, dpopProof.Algorithm, Context.TraceIdentifier);
        return AuthenticateResult.Success(new AuthenticationTicket(proofValidated.Principal ?? principal, proofValidated.Properties, Scheme.Name));
    }

    // An event's principal cannot carry a jkt claim of its own either.
    private static void RemoveJktClaims(ClaimsPrincipal principal)
    {
        foreach (var identity in principal.Identities)
        {
            foreach (var claim in identity.FindAll(DPoPDefaults.JktClaimType).ToList())
            {
                identity.TryRemoveClaim(claim);
            }
        }
    }

    /// <summary>
    /// Records the proof's first use (RFC 9449 §11.1), once per request: when another DPoP scheme on the same endpoint
    /// already recorded this very proof for this request, it is not recorded again (which would read as a replay).
    /// Nothing else is skipped: this scheme checked the proof, token, binding and signature itself.
    /// </summary>
    private async Task<AuthenticateResult?> RecordFirstUseAsync(ParsedProof parsed)
    {
        string replayKey = DPoPProofValidator.ReplayKey(parsed.Jkt, parsed.Jti!);
        var expiresAt = parsed.IssuedAt + Options.ProofLifetime + Options.ClockSkew;

        // The record of another scheme counts only if it keeps the proof at least as long as this scheme accepts it;
        // otherwise the proof could be replayed here after the shorter entry expired.
        if (Context.Items.TryGetValue(RecordedProofKey, out var recorded) && recorded is RecordedProof earlier &&
            string.Equals(earlier.ReplayKey, replayKey, StringComparison.Ordinal) && earlier.ExpiresAt >= expiresAt)
        {
            return null;
        }

        bool firstUse;
        try
        {
            firstUse = await _replayCache.TryAddAsync(replayKey, expiresAt, Context.RequestAborted).ConfigureAwait(false);
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

        Context.Items[RecordedProofKey] = new RecordedProof(replayKey, expiresAt);
        return null;
    }

    // The key of this request's recorded proof in HttpContext.Items: an object no other code can name.
    private static readonly object RecordedProofKey = new();

    private sealed record RecordedProof(string ReplayKey, DateTimeOffset ExpiresAt);

    // A failure set by an event: the application's own DPoPFailure, or a generic one (an exception's text never reaches the client).
    private static DPoPFailure FromEvent(Exception failure) => failure is DPoPAuthenticationException refused
        ? refused.Failure
        : new DPoPFailure(DPoPFailureCode.TokenInvalid, "The application refused this request's credentials.");

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

    private async Task<(ValidatedToken? Token, DPoPFailure? Failure, Exception? Cause)> ValidateTokenAsync(DPoPSchemeState state, string token)
    {
        // The issuer's metadata and keys first: when they cannot be fetched and none are cached, no token can be judged,
        // and saying the token is bad would make clients throw away good tokens (issue 11 item 5).
        object? keysVersion = state.ConfiguredKeys;
        if (Options.ConfigurationManager is { } manager)
        {
            try
            {
                keysVersion = await manager.GetConfigurationAsync(Context.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !Context.RequestAborted.IsCancellationRequested)
            {
                Log.IssuerMetadataUnavailable(Logger, Options.MetadataAddress ?? Options.Authority ?? "(configured manager)", Context.TraceIdentifier, ex);
                return (null, new(DPoPFailureCode.IssuerUnavailable, FormattableString.Invariant(
                    $"This API cannot reach its token issuer's metadata and signing keys right now, so it cannot check access tokens; retry in {Options.ReplayCheckRetryAfter.TotalSeconds:0} s with the same token.")), ex);
            }
        }

        var cache = state.TokenCache;
        if (cache is not null && keysVersion is not null && cache.TryGet(token, keysVersion, out var cached))
        {
            return (cached, null, null);
        }

        TokenValidationResult result;
        try
        {
            result = await Options.TokenHandler.ValidateTokenAsync(token, state.TokenValidationParameters()).ConfigureAwait(false);
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

        string? jkt = ReadConfirmationThumbprint(result, out var confirmationFailure);
        var validated = new ValidatedToken(result.ClaimsIdentity, result.SecurityToken, jkt, confirmationFailure);
        if (cache is not null && keysVersion is not null)
        {
            cache.Add(token, validated, new DateTimeOffset(result.SecurityToken.ValidTo, TimeSpan.Zero), keysVersion);
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
                $"The access token's audience (aud {Sanitize.ForDetail(ReadClaim(token, "aud"))}) is not one this API accepts; ask the authorization server for a token for this API."),
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
            // An unreachable issuer is answered before validation (503); here the token itself is what failed.
            InvalidOperationException or IOException or HttpRequestException => new(DPoPFailureCode.TokenInvalid,
                "The access token could not be validated with the issuer's signing keys."),
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

    /// <summary>
    /// The token's <c>cnf.jkt</c> (RFC 9449 §6.1). Null without a failure only for a token with no <c>cnf</c> at all
    /// (unbound); a <c>cnf</c> this API cannot check is a failure, never an unbound token (issue 11 item 3).
    /// </summary>
    private static string? ReadConfirmationThumbprint(TokenValidationResult result, out DPoPFailure? failure)
    {
        failure = null;
        if (result.SecurityToken is not JsonWebToken jwt)
        {
            return null;
        }

        if (!jwt.TryGetPayloadValue("cnf", out JsonElement cnf))
        {
            if (HasClaim(jwt, "cnf"))
            {
                // Present but not readable as JSON (a null): present, so not unbound.
                failure = new(DPoPFailureCode.TokenInvalid, "The access token's cnf claim is not a JSON object (RFC 7800 §3.1), so this API cannot check its binding.");
            }

            return null;
        }

        if (cnf.ValueKind != JsonValueKind.Object)
        {
            failure = new(DPoPFailureCode.TokenInvalid, "The access token's cnf claim is not a JSON object (RFC 7800 §3.1), so this API cannot check its binding.");
            return null;
        }

        if (!cnf.TryGetProperty("jkt", out var jkt))
        {
            // Bound some other way (x5t#S256: a TLS client certificate, RFC 8705): this API can check only DPoP bindings.
            failure = new(DPoPFailureCode.TokenNotBound,
                "The access token is bound by a confirmation method this API cannot check (its cnf has no jkt, e.g. a certificate binding); ask the authorization server for a DPoP-bound token (cnf.jkt).");
            return null;
        }

        string? value = jkt.ValueKind == JsonValueKind.String ? jkt.GetString() : null;
        if (value is null || value.Length != 43 || !Base64UrlStrict.IsValid(value))
        {
            failure = new(DPoPFailureCode.TokenInvalid,
                "The access token's cnf.jkt is not a JWK SHA-256 thumbprint (a base64url string of 32 bytes, RFC 9449 §6.1), so this API cannot check its binding.");
            return null;
        }

        return value;
    }

    private static bool HasClaim(JsonWebToken jwt, string name)
    {
        foreach (var claim in jwt.Claims)
        {
            if (string.Equals(claim.Type, name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
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

        // The event may replace the failure or decline to answer (NoResult), never turn it into a success: a Success()
        // here would skip the check that failed (issue 11 item 4).
        return failed.Result switch
        {
            { Failure: DPoPAuthenticationException replaced } => AuthenticateResult.Fail(replaced),
            { Failure: { } other } => AuthenticateResult.Fail(new DPoPAuthenticationException(failure, other)),
            { None: true } => AuthenticateResult.NoResult(),
            _ => AuthenticateResult.Fail(exception),
        };
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

        builder.Append(separator == ' ' ? " " : ", ").Append("algs=\"").Append(State.Validator.AllowedAlgorithms).Append('"');
        return builder.ToString();
    }
}
