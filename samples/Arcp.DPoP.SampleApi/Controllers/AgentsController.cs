using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Arcp.DPoP.SampleApi.Controllers;

/// <summary>
/// Agent registration, protected by DPoP: every request needs a DPoP-bound access token and a fresh proof
/// signed with the key the token is bound to.
/// </summary>
[ApiController]
[Route("agents")]
[Authorize(AuthenticationSchemes = DPoPDefaults.AuthenticationScheme)]
public sealed class AgentsController : ControllerBase
{
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates the controller.</summary>
    /// <param name="timeProvider">The clock.</param>
    public AgentsController(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
    }

    /// <summary>Registers the calling agent: its id is the token's <c>agent_id</c> (ARCP), else its <c>sub</c>; its key the proved <c>jkt</c>.</summary>
    [HttpPost("register")]
    public ActionResult<AgentRegistration> Register() =>
        new AgentRegistration(
            User.FindFirst("agent_id")?.Value ?? User.FindFirst("sub")?.Value ?? "unknown", // ARCP tokens name the agent in agent_id
            User.FindFirst(DPoPDefaults.JktClaimType)?.Value ?? string.Empty,
            _timeProvider.GetUtcNow());

    /// <summary>An agent's heartbeat: only for tokens whose <c>role</c> claim is <c>agent</c> (ARCP's agent tokens).</summary>
    [HttpPost("heartbeat")]
    [Authorize(AuthenticationSchemes = DPoPDefaults.AuthenticationScheme, Roles = "agent")]
    public ActionResult<AgentHeartbeat> Heartbeat() =>
        new AgentHeartbeat(User.Identity?.Name ?? "unknown", _timeProvider.GetUtcNow());

    /// <summary>
    /// Lists agents; needs the <c>agents:admin</c> scope, in <c>scope</c> (space-separated) or <c>scopes</c> (an array),
    /// so ordinary agent tokens get a 403 problem.
    /// </summary>
    [HttpGet]
    [Authorize(AuthenticationSchemes = DPoPDefaults.AuthenticationScheme, Policy = "agents:admin")]
    public ActionResult<IEnumerable<string>> List() => Array.Empty<string>();
}

/// <summary>The answer to a registration.</summary>
/// <param name="AgentId">The agent's id, from the token's <c>agent_id</c>, else its <c>sub</c>.</param>
/// <param name="Jkt">The thumbprint of the key the agent proved it holds.</param>
/// <param name="RegisteredAt">When.</param>
public sealed record AgentRegistration(
    [property: System.Text.Json.Serialization.JsonPropertyName("agent_id")] string AgentId,
    [property: System.Text.Json.Serialization.JsonPropertyName("jkt")] string Jkt,
    [property: System.Text.Json.Serialization.JsonPropertyName("registered_at")] DateTimeOffset RegisteredAt);

/// <summary>The answer to a heartbeat.</summary>
/// <param name="Agent">The caller's name: the token's <c>name</c>, else its <c>sub</c>.</param>
/// <param name="At">When.</param>
public sealed record AgentHeartbeat(
    [property: System.Text.Json.Serialization.JsonPropertyName("agent")] string Agent,
    [property: System.Text.Json.Serialization.JsonPropertyName("at")] DateTimeOffset At);
