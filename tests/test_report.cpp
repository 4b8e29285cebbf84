// The training report (trainer/plot, trainer/json, trainer/run_record, trainer/report): tick
// rounding, chart edge cases (one epoch, NaN, constant, empty), the JSON reader, a generated run
// directory rendered to HTML and PNG, and the messages for missing or malformed files. Layer:
// tests.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "data/image_folder.h"
#include "expect_error.h"
#include "snn/energy.h"
#include "trainer/json.h"
#include "trainer/plot.h"
#include "trainer/report.h"

namespace staa::train {
namespace {

namespace fs = std::filesystem;
using test::expect_error;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A fresh folder per test, removed afterwards.
class RunDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("staa_report_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
            std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  std::string read(const std::string& name) const {
    std::ifstream in(dir_ / name, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  // Three epochs (epoch 2 twice, as after a resume: the second row wins), two spiking layers.
  void write_full_run() const {
    write("summary.csv",
          "epoch,step,lr,train_loss,train_acc,test_loss,test_top1,test_top5,seconds,images_per_s,"
          "firing_rate\n"
          "1,100,0.09,2.1,0.30,1.9,0.35,0.80,10.0,500.0,0.20\n"
          "2,200,0.05,1.5,0.50,1.4,0.10,0.85,10.0,510.0,0.18\n"
          "2,200,0.05,1.5,0.50,1.4,0.55,0.90,10.0,510.0,0.18\n"
          "3,300,0.01,1.1,0.65,1.2,0.61,0.95,10.0,520.0,0.15\n");
    write("firing_rates.csv",
          "1,stem.0.lif,0.25\n1,body.0.conv1.lif,0.15\n"
          "3,stem.0.lif,0.21\n3,body.0.conv1.lif,0.09\n");
    write("args.txt",
          "model = tiny  (command line)\nlr = 0.1  (default)\nnote = <b>&'\"  (command line)\n");
    write("command.txt", "./train fashion-mnist tiny note=<script>alert(1)</script>\n");
    write("energy.json",
          R"({"model": "resnet20", "time_steps": 4, "input": [1, 3, 32, 32], "mode": "measured",
 "images": 16, "assumed_rate": null, "precision": "fp32", "pj_per_mac": 4.6, "pj_per_ac": 0.9,
 "layers": [{"name": "stem.0", "type": "Conv2d", "input": "dense", "firing_rate": null,
             "params": 1728, "flops": 3538944, "macs": 1769472, "acs": 0, "energy_uj": 8.14},
            {"name": "body.0.conv1", "type": "Conv2d", "input": "spikes", "firing_rate": 0.12,
             "params": 36864, "flops": 37748736, "macs": 0, "acs": 4529848.3, "energy_uj": 4.08}],
 "total": {"params": 12691254, "flops": 870000000, "macs": 60000000, "acs": 100000000,
           "energy_mj": 0.366, "ann_energy_mj": 4.0}})");
  }
  fs::path dir_;
};

// How many pixels of a decoded PNG are within 8 levels of `colour` in every channel.
int64_t count_colour(const data::Sample& image, data::Rgb colour) {
  const int64_t h = image.shape[1], w = image.shape[2];
  int64_t n = 0;
  for (int64_t i = 0; i < h * w; ++i) {
    bool match = true;
    for (int64_t c = 0; c < 3; ++c)
      match = match && std::abs(std::lround(255 * image.values[c * h * w + i]) - colour[c]) <= 8;
    n += match;
  }
  return n;
}

template <typename T>
int64_t count_shapes(const Scene& scene) {
  return std::count_if(scene.shapes.begin(), scene.shapes.end(),
                       [](const Shape& s) { return std::holds_alternative<T>(s); });
}

bool has_text(const Scene& scene, const std::string& text) {
  return std::any_of(scene.shapes.begin(), scene.shapes.end(), [&](const Shape& s) {
    const auto* t = std::get_if<TextShape>(&s);
    return t && t->text == text;
  });
}

bool polylines_finite(const Scene& scene) {
  for (const Shape& s : scene.shapes) {
    const auto* p = std::get_if<PolylineShape>(&s);
    if (p && !std::all_of(p->y.begin(), p->y.end(), [](double v) { return std::isfinite(v); }))
      return false;
  }
  return true;
}

Chart line_chart(std::vector<double> x, std::vector<double> y) {
  Chart c;
  c.id = "c";
  c.title = "T";
  c.integer_x = true;
  c.series = {Series{"s", std::move(x), std::move(y), {200, 0, 0}}};
  return c;
}

TEST(Plot, TicksAreRoundAndCoverTheRange) {
  EXPECT_EQ(nice_ticks(0.03, 0.97, 5),
            (std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1}));
  EXPECT_EQ(nice_ticks(1, 10, 6, true), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(nice_ticks(1, 3, 6, true), (std::vector<double>{1, 2, 3}));  // no half epochs
  EXPECT_EQ(nice_ticks(3, 3, 6, true), (std::vector<double>{2, 3, 4}));  // one epoch
  const std::vector<double> flat = nice_ticks(0.1, 0.1, 5);              // a constant learning rate
  EXPECT_LT(flat.front(), 0.1);
  EXPECT_GT(flat.back(), 0.1);
  const std::vector<double> zero = nice_ticks(0, 0, 5);
  EXPECT_LT(zero.front(), 0);
  EXPECT_GT(zero.back(), 0);
  const std::vector<double> around = nice_ticks(-0.3, 0.7, 5);
  ASSERT_EQ(around.size(), 7u);  // -0.4 .. 0.8
  EXPECT_FALSE(std::signbit(around[2]));
  EXPECT_EQ(tick_label(around[2], around[1] - around[0]), "0.0");  // never "-0.0"
  EXPECT_EQ(tick_label(0.4, 0.2), "0.4");
  EXPECT_EQ(tick_label(15, 5), "15");
  EXPECT_EQ(tick_label(0.09, 0.005), "0.090");
  EXPECT_EQ(tick_label(2e6, 1e6), "2e+06");
  EXPECT_EQ(tick_label(3e-5, 1e-5), "3e-05");
}

TEST(Plot, OneEpochIsAMarker) {
  const Scene scene = layout_chart(line_chart({1}, {0.5}));
  EXPECT_EQ(count_shapes<MarkerShape>(scene), 1);
  EXPECT_EQ(count_shapes<PolylineShape>(scene), 0);
  EXPECT_NE(render_svg(line_chart({1}, {0.5})).find("<circle"), std::string::npos);
}

TEST(Plot, NaNSplitsTheLineAndIsolatedPointsGetMarkers) {
  const Scene scene = layout_chart(line_chart({1, 2, 3, 4, 5, 6}, {1, 2, kNaN, 3, kNaN, 2}));
  EXPECT_EQ(count_shapes<PolylineShape>(scene), 1);  // epochs 1-2
  EXPECT_EQ(count_shapes<MarkerShape>(scene), 2);    // epochs 4 and 6
  EXPECT_TRUE(polylines_finite(scene));
}

TEST(Plot, ConstantAndEmptySeries) {
  const Scene flat = layout_chart(line_chart({1, 2, 3}, {0.1, 0.1, 0.1}));
  ASSERT_EQ(count_shapes<PolylineShape>(flat), 1);
  EXPECT_TRUE(polylines_finite(flat));
  EXPECT_TRUE(has_text(layout_chart(line_chart({}, {})), "no data"));
  EXPECT_TRUE(has_text(layout_chart(line_chart({1, 2}, {kNaN, kNaN})), "no data"));
  Chart bars;
  bars.kind = ChartKind::kBars;
  EXPECT_TRUE(has_text(layout_chart(bars), "no data"));
  const data::Image image = render_image(line_chart({}, {}));
  EXPECT_EQ(image.width(), 1200);
}

TEST(Plot, SvgNamesTheChartAndEscapesText) {
  Chart c = line_chart({1, 2}, {3, 4});
  c.title = "a < b & \"c\"";
  const std::string svg = render_svg(c);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" data-chart=\"c\"", 0), 0u);
  EXPECT_NE(svg.find("data-colours=\"#c80000\""), std::string::npos);
  EXPECT_NE(svg.find("<title>a &lt; b &amp; &quot;c&quot;</title>"), std::string::npos);
  EXPECT_EQ(svg.find("a < b"), std::string::npos);
}

TEST(Json, ReadsValuesAndNamesWhereItStopped) {
  const JsonValue v =
      parse_json(R"({"a": [1, -2.5e3, true, false, null], "s": "x\"\u00e9\n"})", "t.json");
  ASSERT_EQ(v.find("a")->items.size(), 5u);
  EXPECT_EQ(v.find("a")->items[1].number, -2500);
  EXPECT_TRUE(v.find("a")->items[2].boolean);
  EXPECT_EQ(v.find("a")->items[4].kind, JsonValue::Kind::kNull);
  EXPECT_EQ(v.find("s")->str, "x\"\xc3\xa9\n");
  expect_error([] { parse_json("{\"a\": 1,\n \"b\" 2}", "t.json"); },
               {"t.json: line 2, column 6", "expected ':'", "got '2'"});
  expect_error([] { parse_json("[1, 2", "t.json"); }, {"expected ',' or ']'", "end of the text"});
  expect_error([] { parse_json("{} x", "t.json"); }, {"expected the end of the text", "'x'"});
  expect_error([] { parse_json(std::string(100, '['), "t.json"); }, {"64 levels"});
}

TEST_F(RunDir, ReportHasEveryChartTheEnergyTableAndTheArguments) {
  write_full_run();
  const ReportFiles files = write_report(dir_.string());
  EXPECT_EQ(files.html, (dir_ / "report.html").string());
  const std::string html = read("report.html");
  for (const char* id : {"loss", "accuracy", "lr", "firing_layers", "firing_epochs"})
    EXPECT_NE(html.find("data-chart=\"" + std::string(id) + "\""), std::string::npos) << id;
  EXPECT_NE(html.find("best test top-1</th><td>61.00 % at epoch 3"), std::string::npos);
  const RunRecord run = read_run(dir_.string());
  ASSERT_EQ(run.epochs.size(), 3u);
  EXPECT_EQ(run.epochs[1].test_top1, 0.55);  // epoch 2's second row, not its first
  EXPECT_EQ(run.firing_epoch, 3);
  ASSERT_EQ(run.firing.size(), 2u);
  EXPECT_EQ(run.firing[1], std::make_pair(std::string("body.0.conv1.lif"), 0.09));
  EXPECT_NE(html.find("<b>0.366 mJ</b>, against 4 mJ"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"n\">12.69 M</td>"), std::string::npos);   // total params
  EXPECT_NE(html.find("<td class=\"n\">0.366 mJ</td>"), std::string::npos);  // total energy
  EXPECT_NE(html.find("body.0.conv1</td><td>Conv2d"), std::string::npos);
  EXPECT_NE(html.find("<td>model</td><td><code>tiny</code>"), std::string::npos);
  EXPECT_NE(html.find("<code>&lt;b&gt;&amp;&#39;&quot;</code>"), std::string::npos);
  EXPECT_NE(html.find("note=&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);  // self-contained: loads nothing
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_NE(html.find("Firing rate per layer (epoch 3)"), std::string::npos);

  ASSERT_EQ(files.pngs.size(), 5u);
  const std::vector<Chart> charts = report_charts(run);
  for (size_t i = 0; i < charts.size(); ++i) {
    EXPECT_EQ(files.pngs[i], (dir_ / "report" / (charts[i].id + ".png")).string());
    const data::Sample png = data::read_image(files.pngs[i]);
    const Scene scene = layout_chart(charts[i]);
    EXPECT_EQ(png.shape[2], 2 * scene.width) << charts[i].id;
    EXPECT_EQ(png.shape[1], 2 * scene.height) << charts[i].id;
    int64_t ink = 0;
    for (float v : png.values) ink += v < 0.9f;
    EXPECT_GT(ink, static_cast<int64_t>(png.values.size() / 100)) << charts[i].id;
    for (const Series& s : charts[i].series)
      EXPECT_GT(count_colour(png, s.colour), 100) << charts[i].id << " " << s.name;
  }
}

// The energy table of the real energy tool (snn::EnergyReport::json), not a hand-written file.
TEST_F(RunDir, ReadsTheEnergyToolsJson) {
  write_full_run();
  snn::ModelOptions options;
  options.neuron.time_steps = 2;
  auto model = snn::make_model("tiny", options);
  const snn::EnergyReport energy =
      snn::analytic_energy(*model, "tiny", 0.1, snn::energy_costs("fp16"), 8, 8);
  write("energy.json", energy.json());
  const RunRecord run = read_run(dir_.string());
  ASSERT_TRUE(run.energy.has_value()) << run.energy_note;
  EXPECT_EQ(run.energy->mode, "analytic");
  EXPECT_EQ(run.energy->precision, "fp16");
  EXPECT_EQ(run.energy->assumed_rate, 0.1);
  ASSERT_EQ(run.energy->layers.size(), energy.rows.size());
  EXPECT_EQ(run.energy->layers[0].name, energy.rows[0].name);
  EXPECT_TRUE(std::isnan(run.energy->layers[0].firing_rate));  // the stem sees dense images
  EXPECT_EQ(run.energy->total_params, static_cast<double>(energy.total.params));
  EXPECT_NEAR(run.energy->total_energy_mj, energy.total.energy_pj / 1e9, 1e-6);
  write_report(dir_.string());
  const std::string html = read("report.html");
  EXPECT_NE(html.find("analytic, assumed firing rate 0.1; precision fp16"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"total\"><th>total</th>"), std::string::npos);
}

TEST_F(RunDir, OneEpochAndNaNStillMakeAReport) {
  write("summary.csv",
        "epoch,step,lr,train_loss,train_acc,test_loss,test_top1,test_top5,seconds,images_per_s,"
        "firing_rate\n1,10,0.1,nan,0.2,inf,0.25,0.7,1.0,100.0,0.0\n");
  write_report(dir_.string());
  const std::string html = read("report.html");
  EXPECT_NE(html.find("<circle"), std::string::npos);  // the single epoch is a marker
  EXPECT_NE(html.find("no data"), std::string::npos);  // no firing_rates.csv: no bars
  EXPECT_NE(html.find("no energy.json; tools/energy writes it: energy checkpoint=" +
                      (dir_ / "best.safetensors").string() + " out=" + dir_.string()),
            std::string::npos);
  EXPECT_NE(html.find("no args.txt"), std::string::npos);
  EXPECT_EQ(html.find(">nan"), std::string::npos);
  EXPECT_EQ(html.find(">inf"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir_ / "report" / "loss.png"));
}

TEST_F(RunDir, MissingAndMalformedFilesAreNamed) {
  expect_error([&] { write_report((dir_ / "absent").string()); }, {"absent: not a directory"});
  expect_error([&] { write_report(dir_.string()); },
               {"summary.csv: not found", "after its first epoch"});
  const std::string header = "epoch,lr,train_loss,train_acc,test_loss,test_top1,test_top5\n";
  write("summary.csv", header);
  expect_error([&] { write_report(dir_.string()); }, {"summary.csv", "at least one epoch row"});
  write("summary.csv", header + "1,0.1,2,0.1,2,0.1,0.5\n2,0.1,2\n");
  expect_error([&] { write_report(dir_.string()); },
               {"summary.csv: line 3", "expected 7 comma-separated fields", "got 3"});
  write("summary.csv", header + "1,0.1,2,0.1,abc,0.1,0.5\n");
  expect_error([&] { write_report(dir_.string()); },
               {"summary.csv: line 2, column test_loss", "expected a number, got 'abc'"});
  write("summary.csv", "epoch,lr\n1,0.1\n");
  expect_error([&] { write_report(dir_.string()); },
               {"summary.csv: line 1", "a column 'train_loss'", "got 'epoch,lr'"});
  write("summary.csv", header + "1,0.1,2,0.1,2,0.1,0.5\n");
  write("firing_rates.csv", "1,stem.lif,0.2\n1 stem.lif 0.2\n");
  expect_error([&] { write_report(dir_.string()); },
               {"firing_rates.csv: line 2", "expected 'epoch,layer,rate'"});
  write("firing_rates.csv", "1,stem.lif,0.2\n");
  write("args.txt", "lr = 0.1  (default)\nlr 0.1\n");
  expect_error([&] { write_report(dir_.string()); },
               {"args.txt: line 2", "expected 'name = value  (source)'", "got 'lr 0.1'"});
  write("args.txt", "lr = 0.1  (default)\n");
  write("energy.json", R"({"model": "tiny", "time_steps": "four"})");
  write_report(dir_.string());  // a broken energy.json is a note in the report, not an error
  EXPECT_NE(read("report.html")
                .find("no energy table: " + (dir_ / "energy.json").string() +
                      ": expected a key &quot;mode&quot;"),
            std::string::npos);
  write("energy.json", "{\"model\": ");
  write_report(dir_.string());
  EXPECT_NE(read("report.html").find("energy.json: line 1, column 11: expected a value"),
            std::string::npos);
}

}  // namespace
}  // namespace staa::train
