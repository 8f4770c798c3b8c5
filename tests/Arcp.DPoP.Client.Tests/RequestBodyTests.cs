using System.Net;
using System.Text;

namespace Arcp.DPoP.Client.Tests;

/// <summary>
/// Request bodies (issue 11, item 13): the handler keeps a body for a retry only when a retry could need it and the
/// body cannot be sent again by itself; a streaming body is streamed, not loaded into memory first.
/// </summary>
public sealed class RequestBodyTests
{
    private static readonly Uri Register = new(SampleApi.BaseAddress, "/agents/register");
    private static readonly Uri TokenEndpoint = new(SampleApi.BaseAddress, "/dev-issuer/token");

    /// <summary>A forward-only stream of a given size that counts what was read from it.</summary>
    private sealed class ForwardOnlyStream(int length) : Stream
    {
        private int _position;

        public int BytesRead => _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(count, length - _position);
            Array.Fill(buffer, (byte)'a', offset, n);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Notes how much of the body's stream was read when the request left the DPoP handler.</summary>
    private sealed class Probe(ForwardOnlyStream stream) : DelegatingHandler
    {
        public List<int> ReadBeforeSending { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            ReadBeforeSending.Add(stream.BytesRead);
            return base.SendAsync(request, cancellationToken);
        }
    }

    [Fact]
    public async Task A_streaming_body_of_unknown_length_is_not_loaded_into_memory()
    {
        await using var api = new SampleApi();
        using var transport = api.Transport();
        using var session = new DPoPSession();
        using (var plain = new HttpClient(transport, disposeHandler: false))
        {
            await session.RequestTokenAsync(plain, TokenEndpoint);
        }

        var stream = new ForwardOnlyStream(4 * 1024 * 1024);
        var probe = new Probe(stream) { InnerHandler = transport };
        using var client = new HttpClient(new DPoPMessageHandler(session) { InnerHandler = probe }, disposeHandler: false);
        using var response = await client.PostAsync(Register, new StreamContent(stream));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([0], probe.ReadBeforeSending); // nothing was read before the request went out
    }

    [Fact]
    public async Task A_streaming_body_is_sent_once_and_the_use_dpop_nonce_answer_goes_to_the_caller_with_the_nonce_kept()
    {
        await using var api = new SampleApi { RequireNonce = true };
        using var transport = api.Transport();
        using var session = new DPoPSession();
        using (var plain = new HttpClient(transport, disposeHandler: false))
        {
            await session.RequestTokenAsync(plain, TokenEndpoint);
        }

        // The token endpoint's nonce is the API's too (one application, one nonce): a stale one makes the API ask again.
        session.RememberNonce(Register, new HttpResponseMessage { Headers = { { "DPoP-Nonce", "stale" } } });
        int afterToken = transport.Count;
        using var client = new HttpClient(new DPoPMessageHandler(session) { InnerHandler = transport }, disposeHandler: false);
        using var first = await client.PostAsync(Register, new StreamContent(new ForwardOnlyStream(100)));
        Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        Assert.Equal("use_dpop_nonce", (await DPoPProblem.ReadAsync(first))?.Error);
        Assert.Equal(afterToken + 1, transport.Count); // the body could not go again: no retry
        Assert.NotNull(session.GetNonce(Register));

        using var second = await client.PostAsync(Register, new StreamContent(new ForwardOnlyStream(100)));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
    }

    [Fact]
    public async Task A_body_with_a_known_small_length_is_kept_for_the_nonce_retry()
    {
        await using var api = new SampleApi { RequireNonce = true };
        using var transport = api.Transport();
        using var session = new DPoPSession();
        using (var plain = new HttpClient(transport, disposeHandler: false))
        {
            await session.RequestTokenAsync(plain, TokenEndpoint);
        }

        transport.Bodies.Clear();
        session.RememberNonce(Register, new HttpResponseMessage { Headers = { { "DPoP-Nonce", "stale" } } }); // see above: the API must ask
        using var client = new HttpClient(new DPoPMessageHandler(session) { InnerHandler = transport }, disposeHandler: false);
        var content = new StreamContent(new ForwardOnlyStream(100));
        content.Headers.ContentLength = 100;
        using var response = await client.PostAsync(Register, content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([new string('a', 100), new string('a', 100)], transport.Bodies);

        // In-memory bodies are sent again as they are.
        transport.Bodies.Clear();
        session.RememberNonce(Register, new HttpResponseMessage { Headers = { { "DPoP-Nonce", "stale" } } });
        using var again = await client.PostAsync(Register, new StringContent("{\"name\":\"agent\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(["{\"name\":\"agent\"}", "{\"name\":\"agent\"}"], transport.Bodies);
    }
}
