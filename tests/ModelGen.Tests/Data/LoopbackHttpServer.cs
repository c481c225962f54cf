using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace ModelGen.Tests.Data;

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 that serves fixed bytes by path (404 otherwise); with <see cref="Hang"/> it
/// never answers, with <see cref="Stall"/> it sends the headers and half the body, then nothing. Only for tests of the
/// download step; it stops when disposed.
/// </summary>
public sealed class LoopbackHttpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, byte[]> _files;
    private readonly List<string> _requests = [];
    private readonly Task _loop;

    public LoopbackHttpServer(Dictionary<string, byte[]> files, bool hang = false, bool stall = false)
    {
        _files = files;
        Hang = hang;
        Stall = stall;
        _listener.Start();
        BaseUri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/mnist/");
        _loop = Task.Run(AcceptLoop);
    }

    public Uri BaseUri { get; }

    public bool Hang { get; }

    public bool Stall { get; }

    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_requests) return [.. _requests];
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        using (client)
        {
            try
            {
                NetworkStream stream = client.GetStream();
                var request = new StringBuilder();
                var buffer = new byte[4096];
                while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    int read = await stream.ReadAsync(buffer, _stop.Token);
                    if (read == 0) return;
                    request.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }

                string path = request.ToString().Split(' ')[1];
                lock (_requests) _requests.Add(path);
                if (Hang)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                    return;
                }

                string name = path[(path.LastIndexOf('/') + 1)..];
                byte[] body = _files.TryGetValue(name, out byte[]? file) ? file : Encoding.ASCII.GetBytes("not found");
                string status = file is null ? "404 Not Found" : "200 OK";
                byte[] head = Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Length: {body.Length}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n");
                await stream.WriteAsync(head, _stop.Token);
                if (Stall)
                {
                    await stream.WriteAsync(body.AsMemory(0, body.Length / 2), _stop.Token);
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                    return;
                }

                await stream.WriteAsync(body, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or System.IO.IOException or ObjectDisposedException)
            {
            }
        }
    }
}
