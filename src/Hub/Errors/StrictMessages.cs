using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Routing;

namespace PatrolHub.Hub.Errors;

/// <summary>
/// Binds each gRPC service as grpc-dotnet's own binder does, from the generated <c>BindService</c> method, with one
/// difference: a request body that is not a valid protobuf message is INVALID_ARGUMENT saying so. grpc-dotnet parses a
/// unary or server-streaming request before any interceptor runs, and answers a parse failure with UNKNOWN and an
/// error-level stack trace; a client's garbage deserves neither.
/// </summary>
public static class StrictMessages
{
    /// <summary>Replaces grpc-dotnet's binder in the container AddGrpc filled.</summary>
    public static void Register(IServiceCollection services)
    {
        var binders = services.Where(d => d.ServiceType == typeof(IServiceMethodProvider<>)
            && d.ImplementationType?.Name.StartsWith("BinderServiceMethodProvider", StringComparison.Ordinal) == true).ToList();
        foreach (var binder in binders) services.Remove(binder);
        services.AddSingleton(typeof(IServiceMethodProvider<>), typeof(StrictMessages<>));
    }
}

/// <summary>The binder <see cref="StrictMessages"/> registers, for each service.</summary>
public sealed class StrictMessages<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] TService> : IServiceMethodProvider<TService>
    where TService : class
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        var attribute = typeof(TService).GetCustomAttribute<BindServiceMethodAttribute>(inherit: true);
        if (attribute is null) return;
        var bind = attribute.BindType.GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Single(m => m.Name == attribute.BindMethodName && m.GetParameters() is [{ ParameterType: var binder }, _] && binder == typeof(ServiceBinderBase));
        bind.Invoke(null, [new Binder(context, bind.GetParameters()[1].ParameterType), null]);
    }

    private sealed class Binder(ServiceMethodProviderContext<TService> context, Type serviceBase) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler) =>
            context.AddUnaryMethod(Strict(method), Metadata(method, out var target), Invoker<UnaryServerMethod<TService, TRequest, TResponse>>(target));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddClientStreamingMethod(Strict(method), Metadata(method, out var target), Invoker<ClientStreamingServerMethod<TService, TRequest, TResponse>>(target));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddServerStreamingMethod(Strict(method), Metadata(method, out var target), Invoker<ServerStreamingServerMethod<TService, TRequest, TResponse>>(target));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddDuplexStreamingMethod(Strict(method), Metadata(method, out var target), Invoker<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(target));

        private static TDelegate Invoker<TDelegate>(MethodInfo target) where TDelegate : Delegate => (TDelegate)Delegate.CreateDelegate(typeof(TDelegate), target);

        /// <summary>The service's override of the generated method, and the endpoint metadata grpc-dotnet would give it
        /// (the service's and the method's attributes, POST only).</summary>
        private List<object> Metadata(IMethod method, out MethodInfo target)
        {
            var declared = serviceBase.GetMethod(method.Name, BindingFlags.Public | BindingFlags.Instance)
                ?? throw new InvalidOperationException($"{serviceBase} has no method {method.Name}.");
            target = typeof(TService).GetMethods(BindingFlags.Public | BindingFlags.Instance)
                .Single(m => m.Name == method.Name && m.GetBaseDefinition() == declared.GetBaseDefinition());
            return [.. typeof(TService).GetCustomAttributes(inherit: true), .. target.GetCustomAttributes(inherit: true), new HttpMethodMetadata(["POST"], acceptCorsPreflight: true)];
        }

        private static Method<TRequest, TResponse> Strict<TRequest, TResponse>(Method<TRequest, TResponse> method)
            where TRequest : class where TResponse : class
        {
            var parse = method.RequestMarshaller.ContextualDeserializer;
            var request = Marshallers.Create(method.RequestMarshaller.ContextualSerializer, context =>
            {
                try
                {
                    return parse(context);
                }
                catch (InvalidProtocolBufferException e)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"the request is not a valid {typeof(TRequest).Name} message: {e.Message}"));
                }
            });
            return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, request, method.ResponseMarshaller);
        }
    }
}
