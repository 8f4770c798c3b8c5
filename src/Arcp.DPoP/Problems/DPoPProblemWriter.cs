using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace Arcp.DPoP;

/// <summary>
/// Writes a <see cref="DPoPFailure"/> as an RFC 9457 problem document (<c>application/problem+json</c>) with ARCP's
/// members: <c>type</c>, <c>title</c>, <c>status</c>, <c>detail</c>, <c>instance</c>, <c>timestamp</c>, <c>request_id</c>,
/// plus <c>error</c> and, for a key mismatch, <c>expected_jkt</c>/<c>actual_jkt</c>.
/// </summary>
/// <remarks>
/// When the app registered an <see cref="IProblemDetailsService"/> (<c>AddProblemDetails()</c>), it writes the
/// document, so the app's customisations apply; otherwise, or when it declines, the document is written here.
/// </remarks>
internal static class DPoPProblemWriter
{
    public const string ContentType = "application/problem+json";

    // The document is JSON, never HTML: quotes, '<' and '§' stay readable for the developer reading it.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static ProblemDetails Create(HttpContext context, DPoPFailure failure, TimeProvider timeProvider)
    {
        var type = failure.ProblemType;
        var problem = new ProblemDetails
        {
            Type = type.Type,
            Title = type.Title,
            Status = type.Status,
            Detail = failure.Detail,
            Instance = context.Request.PathBase.Add(context.Request.Path).Value is { Length: > 0 } path ? path : "/",
        };

        problem.Extensions["timestamp"] = timeProvider.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        problem.Extensions["request_id"] = context.TraceIdentifier;
        if (failure.Error is not null)
        {
            problem.Extensions["error"] = failure.Error;
        }

        if (failure.ExpectedJkt is not null)
        {
            problem.Extensions["expected_jkt"] = failure.ExpectedJkt;
        }

        if (failure.ActualJkt is not null)
        {
            problem.Extensions["actual_jkt"] = failure.ActualJkt;
        }

        return problem;
    }

    public static async Task WriteAsync(HttpContext context, ProblemDetails problem)
    {
        var response = context.Response;
        response.StatusCode = problem.Status ?? StatusCodes.Status401Unauthorized;
        response.Headers.CacheControl = "no-store";

        var service = context.RequestServices.GetService<IProblemDetailsService>();
        if (service is not null && await service.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }).ConfigureAwait(false))
        {
            return;
        }

        response.ContentType = ContentType;
        await using var writer = new Utf8JsonWriter(response.BodyWriter, WriterOptions);
        writer.WriteStartObject();
        WriteIfNotNull(writer, "type", problem.Type);
        WriteIfNotNull(writer, "title", problem.Title);
        if (problem.Status is int status)
        {
            writer.WriteNumber("status", status);
        }

        WriteIfNotNull(writer, "detail", problem.Detail);
        WriteIfNotNull(writer, "instance", problem.Instance);
        foreach (var extension in problem.Extensions)
        {
            writer.WritePropertyName(extension.Key);
            switch (extension.Value)
            {
                case null: writer.WriteNullValue(); break;
                case string text: writer.WriteStringValue(text); break;
                case bool flag: writer.WriteBooleanValue(flag); break;
                case int number: writer.WriteNumberValue(number); break;
                case long number: writer.WriteNumberValue(number); break;
                case double number: writer.WriteNumberValue(number); break;
                default: writer.WriteStringValue(Convert.ToString(extension.Value, CultureInfo.InvariantCulture)); break;
            }
        }

        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static void WriteIfNotNull(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }
}
