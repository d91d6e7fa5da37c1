import BerthProtocol
import Testing
@testable import BerthClient

@Suite struct TableTests {
    @Test func columnsLineUpWithoutTrailingBlanks() {
        let table = TextTable(headers: ["ID", "STATE", "PORTS"], rows: [["web", "active (running)", "40000->8080"], ["a", "inactive", "-"]])
        #expect(table.render() == [
            "ID   STATE             PORTS",
            "web  active (running)  40000->8080",
            "a    inactive          -",
        ])
    }

    @Test func psTableHasNodeColumnOnlyForSeveralNodes() {
        let web = ContainerStatus(id: "web", image: "localhost/httpd", state: "active", subState: "running",
                                  ports: [PortMapping(internal: 8080, external: 40000), PortMapping(internal: 53, external: 0)])
        let db = ContainerStatus(id: "db", image: "localhost/db", state: "failed")
        let one = PsCommand.table([(web, nil), (db, nil)]).render()
        #expect(one == [
            "ID   STATE             IMAGE            PORTS",
            "web  active (running)  localhost/httpd  40000->8080,?->53",
            "db   failed            localhost/db     -",
        ])
        let several = PsCommand.table([(web, .unix(path: "/a.sock")), (db, .tcp(host: "10.0.0.2", port: 7480))]).render()
        #expect(several[0] == "ID   STATE             IMAGE            PORTS              NODE")
        #expect(several[2] == "db   failed            localhost/db     -                  tcp://10.0.0.2:7480")
    }

    @Test func environmentValuesWithControlCharactersAreEscaped() {
        #expect(EnvCommand.display("plain value $x %y") == "plain value $x %y")
        #expect(EnvCommand.display("two\nlines") == "\"two\\nlines\"")
    }
}
