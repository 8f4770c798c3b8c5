using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace JwtBearerApp;

/// <summary>The sample API's AgentsController.Register, behind plain JwtBearer: the same route, work and answer.</summary>
[ApiController]
[Route("agents")]
[Authorize(AuthenticationSchemes = JwtBearerDefaults.AuthenticationScheme)]
public sealed class AgentsController : ControllerBase
{
    private readonly TimeProvider _timeProvider;

    public AgentsController(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
    }

    [HttpPost("register")]
    public ActionResult<AgentRegistration> Register() =>
        new AgentRegistration(
            User.FindFirst("sub")?.Value ?? "unknown",
            User.FindFirst("jkt")?.Value ?? string.Empty,
            _timeProvider.GetUtcNow());
}

/// <summary>The same record as the sample's.</summary>
public sealed record AgentRegistration(
    [property: JsonPropertyName("agent_id")] string AgentId,
    [property: JsonPropertyName("jkt")] string Jkt,
    [property: JsonPropertyName("registered_at")] DateTimeOffset RegisteredAt);
