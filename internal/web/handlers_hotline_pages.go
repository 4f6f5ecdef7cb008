package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/hotline"
)

// fragment renders only the "main" template of a page: the parts of pages
// that refresh themselves (data-refresh) fetch these.
func (s *Server) fragment(w http.ResponseWriter, r *http.Request, page string, data any) {
	tp, ok := s.tmpl.pages[page]
	if !ok {
		s.fail(w, r, errs.Internal(fmt.Errorf("no page template %q", page)))
		return
	}
	p := auth.From(r.Context())
	v := view{L: s.localizer(r), User: p, Path: r.URL.Path, Data: data, Demo: s.Demo}
	var buf bytes.Buffer
	if err := tp.ExecuteTemplate(&buf, "main", v); err != nil {
		s.fail(w, r, errs.Internal(fmt.Errorf("render %s: %w", page, err)))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

// hotlineHelpers are the functions hotline templates use to show codes and
// times in the reader's language.
func (s *Server) hotlineHelpers(r *http.Request) map[string]any {
	lang := s.localizer(r).Lang
	now := s.Now()
	return map[string]any{
		"Label": func(kind, code string) string {
			if code == "" {
				return "—"
			}
			return s.Hotline.Label(r.Context(), kind, code, lang)
		},
		"Waited": func(t time.Time) string { return clock(now.Sub(t)) },
		"Secs":   func(f float64) string { return clock(time.Duration(f * float64(time.Second))) },
		"Unit": func(code string) string {
			if code == "" {
				return "—"
			}
			return s.unitName(r, code)
		},
	}
}

// clock writes a duration as m:ss or h:mm:ss.
func clock(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	sec := int(d / time.Second)
	if sec >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", sec/3600, sec/60%60, sec%60)
	}
	return fmt.Sprintf("%d:%02d", sec/60, sec%60)
}

func (s *Server) queueData(r *http.Request) (map[string]any, error) {
	p := auth.From(r.Context())
	q, err := s.Hotline.Queue(r.Context(), p)
	if err != nil {
		return nil, err
	}
	d := s.hotlineHelpers(r)
	d["Queue"] = q
	d["CanWrite"] = p.Can(auth.PermContactWrite)
	return d, nil
}

func (s *Server) workspacePage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		d, err := s.queueData(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if p.Can(auth.PermContactWrite) {
			if d["Desk"], err = s.Hotline.Desk(r.Context(), p); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		d["Extension"] = s.Hotline.Extension(r.Context(), p.UserID)
		d["Channels"] = []string{hotline.ChannelWalkIn, hotline.ChannelEmail, hotline.ChannelPhone}
		s.render(w, r, http.StatusOK, "hotline", "hotline.title", d, nil)
	})
}

func (s *Server) queueFragment() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, err := s.queueData(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.fragment(w, r, "hotline_queue", d)
	})
}

func (s *Server) extensionForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.Hotline.SetExtension(r.Context(), auth.From(r.Context()), r.PostFormValue("extension")); err != nil {
			s.fail(w, r, err)
			return
		}
		flash(w, "hotline.extension_saved")
		http.Redirect(w, r, "/hotline", http.StatusSeeOther)
	})
}

func (s *Server) newContactForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.Hotline.Create(r.Context(), auth.From(r.Context()), hotline.NewContact{Channel: r.PostFormValue("channel")})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		http.Redirect(w, r, "/hotline/contacts/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
	})
}

func (s *Server) searchPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := s.hotlineHelpers(r)
		q, err := contactQuery(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if q.Limit == 0 {
			q.Limit = 50
		}
		if len(r.URL.Query()) > 0 {
			out, total, next, err := s.Hotline.Search(r.Context(), auth.From(r.Context()), q)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			d["Results"], d["Total"], d["Next"], d["Searched"] = out, total, next, true
		}
		reasons, err := s.Hotline.Refs(r.Context(), hotline.RefReason, true)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d["Reasons"] = reasons
		d["Channels"] = []string{"phone", "zalo", "web", "app", "email", "walk_in"}
		s.render(w, r, http.StatusOK, "hotline_search", "hotline.search_title", d, nil)
	})
}

// wrapUpFields are the wrap-up form's fields in page order.
var wrapUpFields = []string{"type", "urgency", "caller_kind", "caller_relation", "caller_age_band", "caller_sex",
	"caller_commune", "caller_name", "caller_phone", "children_0_name", "children_0_age", "children_0_sex",
	"children_0_commune", "children_0_child_id", "children_1_name", "children_1_age", "children_1_sex",
	"children_1_commune", "children_1_child_id", "reasons", "actions", "summary", "follow_up_on"}

// contactForm fills the wrap-up form from a stored contact.
func contactForm(c *hotline.Contact) *form {
	f := &form{Values: map[string]string{}, Errors: map[string]string{}}
	f.Values["type"], f.Values["urgency"] = c.Type, c.Urgency
	f.Values["caller_kind"], f.Values["caller_relation"], f.Values["caller_age_band"] = c.Caller.Kind, c.Caller.Relation, c.Caller.AgeBand
	f.Values["caller_sex"], f.Values["caller_commune"], f.Values["caller_name"] = c.Caller.Sex, c.Caller.Commune, c.Caller.Name
	f.Values["caller_phone"], f.Values["summary"] = c.Caller.Phone, c.Summary
	if c.FollowUpOn != "" {
		if t, err := time.Parse("2006-01-02", c.FollowUpOn); err == nil {
			f.Values["follow_up_on"] = t.Format("02/01/2006")
		}
	}
	for i, ch := range c.Children {
		if i > 1 {
			break
		}
		k := "children_" + strconv.Itoa(i) + "_"
		f.Values[k+"name"], f.Values[k+"sex"], f.Values[k+"commune"] = ch.Name, ch.Sex, ch.Commune
		if ch.Age != nil {
			f.Values[k+"age"] = strconv.Itoa(*ch.Age)
		}
		if ch.ChildID != nil {
			f.Values[k+"child_id"] = strconv.FormatInt(*ch.ChildID, 10)
		}
	}
	f.Values["reasons"] = "," + strings.Join(c.Reasons, ",") + ","
	f.Values["actions"] = "," + strings.Join(c.Actions, ",") + ","
	return f
}

// wrapUpFrom reads the wrap-up form.
func wrapUpFrom(r *http.Request) (hotline.WrapUp, *form, error) {
	f := newForm(r, wrapUpFields...)
	v := errs.Validation()
	val := func(k string) string { return f.Values[k] }
	str := func(k string) *string { x := val(k); return &x }
	caller := hotline.Caller{Kind: val("caller_kind"), Relation: val("caller_relation"), AgeBand: val("caller_age_band"),
		Sex: val("caller_sex"), Commune: val("caller_commune"), Name: val("caller_name"), Phone: val("caller_phone")}
	var children []hotline.Child
	for i := 0; i < 2; i++ {
		k := "children_" + strconv.Itoa(i) + "_"
		if val(k+"name") == "" && val(k+"age") == "" && val(k+"commune") == "" && val(k+"child_id") == "" && val(k+"sex") == "" {
			continue
		}
		ch := hotline.Child{Name: val(k + "name"), Sex: val(k + "sex"), Commune: val(k + "commune")}
		if a := val(k + "age"); a != "" {
			n, err := strconv.Atoi(a)
			if err != nil {
				v.Field(k+"age", "hotline.child_age_invalid")
			}
			ch.Age = &n
		}
		if id := val(k + "child_id"); id != "" {
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				v.Field(k+"child_id", "hotline.child_id_invalid")
			}
			ch.ChildID = &n
		}
		children = append(children, ch)
	}
	if children == nil {
		children = []hotline.Child{}
	}
	reasons, actions := r.PostForm["reasons"], r.PostForm["actions"]
	if reasons == nil {
		reasons = []string{}
	}
	if actions == nil {
		actions = []string{}
	}
	f.Values["reasons"] = "," + strings.Join(reasons, ",") + ","
	f.Values["actions"] = "," + strings.Join(actions, ",") + ","
	complete := r.PostFormValue("complete") == "1"
	return hotline.WrapUp{Type: str("type"), Urgency: str("urgency"), Caller: &caller, Children: &children,
		Reasons: &reasons, Actions: &actions, Summary: str("summary"), FollowUpOn: str("follow_up_on"),
		Complete: &complete}, f, v.OrNil()
}

// formFields renames the API's field names (caller.phone, children.0.age)
// to the form's (caller_phone, children_0_age).
func formFields(err error) error {
	e := errs.As(err)
	if len(e.Fields) == 0 {
		return err
	}
	out := *e
	out.Fields = map[string]errs.FieldError{}
	for k, v := range e.Fields {
		out.Fields[strings.ReplaceAll(k, ".", "_")] = v
	}
	return &out
}

func (s *Server) contactPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.loadContact(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.renderContact(w, r, http.StatusOK, c, contactForm(c.Contact))
	})
}

func (s *Server) renderContact(w http.ResponseWriter, r *http.Request, status int, c *contactOut, f *form) {
	d := s.hotlineHelpers(r)
	ctx := r.Context()
	p := auth.From(ctx)
	d["C"] = c
	var err error
	for kind, key := range map[string]string{hotline.RefContactType: "Types", hotline.RefUrgency: "Urgencies", hotline.RefAction: "Actions"} {
		if d[key], err = s.Hotline.Refs(ctx, kind, false); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if d["Reasons"], err = s.Hotline.ReasonTree(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	d["CanWrite"] = p.Can(auth.PermContactWrite) && (c.CounsellorID == 0 || c.CounsellorID == p.UserID || p.Can(auth.PermHotlineSuper))
	l := s.localizer(r)
	refOpts := func(key string) []option {
		out := []option{{"", l.T("hotline.choose")}}
		for _, ref := range d[key].([]hotline.Ref) {
			out = append(out, option{ref.Code, ref.Label(l.Lang)})
		}
		return out
	}
	codeOpts := func(prefix string, codes ...string) []option {
		out := []option{{"", l.T("hotline.choose")}}
		for _, c := range codes {
			out = append(out, option{c, l.T(prefix + c)})
		}
		return out
	}
	d["TypeOptions"], d["UrgencyOptions"] = refOpts("Types"), refOpts("Urgencies")
	d["KindOptions"] = codeOpts("hotline.caller_kind.", "child", "adult")
	d["AgeOptions"] = codeOpts("hotline.age.", "0_5", "6_10", "11_15", "16_17", "18_plus")
	d["SexOptions"] = codeOpts("hotline.sex.", "male", "female")
	d["ChildSlots"] = []int{0, 1}
	d["Targets"] = []string{"commune", "province", "police", "health"}
	d["BlockReasons"] = []string{"abusive", "prank", "other"}
	d["Has"] = func(list, code string) bool { return strings.Contains(list, ","+code+",") }
	s.render(w, r, status, "hotline_contact", "hotline.contact_title", d, f)
}

func (s *Server) wrapUpForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		in, f, ferr := wrapUpFrom(r)
		var c *hotline.Contact
		if ferr == nil {
			c, err = s.Hotline.Update(r.Context(), auth.From(r.Context()), id, in)
		} else {
			err = ferr
		}
		if err == nil {
			if c.Complete {
				flash(w, "hotline.completed")
				http.Redirect(w, r, "/hotline", http.StatusSeeOther)
				return
			}
			flash(w, "hotline.saved_draft")
			http.Redirect(w, r, "/hotline/contacts/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
			return
		}
		e := errs.As(err)
		if e.Status != http.StatusBadRequest {
			s.fail(w, r, err)
			return
		}
		out, lerr := s.loadContact(r)
		if lerr != nil {
			s.fail(w, r, lerr)
			return
		}
		f.fail(s.localizer(r), formFields(err), wrapUpFields...)
		s.renderContact(w, r, http.StatusBadRequest, out, f)
	})
}

// contactPost runs an action from a form on the contact page and returns
// to it with a message.
func (s *Server) contactPost(done string, act func(r *http.Request, p *auth.Principal, id int64) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := act(r, auth.From(r.Context()), id); err != nil {
			s.fail(w, r, err)
			return
		}
		flash(w, done)
		http.Redirect(w, r, "/hotline/contacts/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	})
}

func (s *Server) claimForm() http.Handler {
	return s.contactPost("hotline.claimed", func(r *http.Request, p *auth.Principal, id int64) error {
		_, err := s.Hotline.Claim(r.Context(), p, id)
		return err
	})
}

func (s *Server) replyForm() http.Handler {
	return s.contactPost("hotline.reply_queued", func(r *http.Request, p *auth.Principal, id int64) error {
		_, err := s.Hotline.Reply(r.Context(), p, id, r.PostFormValue("text"))
		return err
	})
}

func (s *Server) blockForm() http.Handler {
	return s.contactPost("hotline.blocked_done", func(r *http.Request, p *auth.Principal, id int64) error {
		hours, _ := strconv.Atoi(r.PostFormValue("hours"))
		_, err := s.Hotline.BlockCaller(r.Context(), p, id, hotline.BlockInput{Hours: hours, Reason: r.PostFormValue("reason")})
		return err
	})
}

func (s *Server) referForm() http.Handler {
	return s.contactPost("hotline.referred_done", func(r *http.Request, p *auth.Principal, id int64) error {
		_, err := s.Hotline.Refer(r.Context(), p, id, hotline.ReferralInput{Commune: r.PostFormValue("commune"),
			Target: r.PostFormValue("target"), Note: r.PostFormValue("note")})
		return err
	})
}

func (s *Server) statsData(r *http.Request) (map[string]any, error) {
	st, err := s.Hotline.Today(r.Context(), auth.From(r.Context()))
	if err != nil {
		return nil, err
	}
	d := s.hotlineHelpers(r)
	d["S"] = st
	max := 1
	for _, c := range append(append(append([]hotline.Count{}, st.ByChannel...), st.ByType...), st.ByReason...) {
		if c.N > max {
			max = c.N
		}
	}
	d["Bar"] = func(n int) int { return 2 + 98*n/max }
	return d, nil
}

func (s *Server) supervisorPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, err := s.statsData(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "hotline_supervisor", "hotline.supervisor_title", d, nil)
	})
}

func (s *Server) wallboardPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, err := s.statsData(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "hotline_wallboard", "hotline.wallboard_title", d, nil)
	})
}

func (s *Server) wallboardPanel() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, err := s.statsData(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.fragment(w, r, "hotline_wallboard", d)
	})
}

// The public report page: a form that works without JavaScript.
var reportFields = []string{"description", "commune", "child_name", "child_age", "child_sex", "reporter_name",
	"reporter_phone", "reporter_relation", "anonymous", "website"}

func (s *Server) reportPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusOK, "report", "report.title", nil, &form{Values: map[string]string{}, Errors: map[string]string{}})
	})
}

func (s *Server) reportForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxReportBody)
		if err := r.ParseForm(); err != nil {
			s.fail(w, r, errs.TooLarge(maxReportBody))
			return
		}
		f := newForm(r, reportFields...)
		in := hotline.PublicReport{Description: f.Values["description"], Commune: f.Values["commune"],
			Anonymous: f.Values["anonymous"] == "1", Website: f.Values["website"]}
		v := errs.Validation()
		if f.Values["child_name"] != "" || f.Values["child_age"] != "" || f.Values["child_sex"] != "" {
			in.Child = &struct {
				Name string `json:"name"`
				Age  *int   `json:"age"`
				Sex  string `json:"sex"`
			}{Name: f.Values["child_name"], Sex: f.Values["child_sex"]}
			if a := f.Values["child_age"]; a != "" {
				n, err := strconv.Atoi(a)
				if err != nil {
					v.Field("child_age", "hotline.child_age_invalid")
				}
				in.Child.Age = &n
			}
		}
		if !in.Anonymous {
			in.Reporter = &struct {
				Name     string `json:"name"`
				Phone    string `json:"phone"`
				Relation string `json:"relation"`
			}{Name: f.Values["reporter_name"], Phone: f.Values["reporter_phone"], Relation: f.Values["reporter_relation"]}
		}
		var st hotline.ReportStatus
		err := v.OrNil()
		switch {
		case err != nil:
		case in.IsBot():
			st = hotline.ReportStatus{TrackingCode: hotline.NewTrackingCode(), Status: "received"}
		default:
			st, err = s.Hotline.SubmitReport(r.Context(), in)
		}
		if err != nil {
			if errs.As(err).Status != http.StatusBadRequest {
				s.fail(w, r, err)
				return
			}
			f.fail(s.localizer(r), formFields(err), reportFields...)
			s.render(w, r, http.StatusBadRequest, "report", "report.title", nil, f)
			return
		}
		s.render(w, r, http.StatusCreated, "report_done", "report.done_title", st, nil)
	})
}

func (s *Server) reportStatusPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := r.URL.Query().Get("code")
		d := map[string]any{"Code": code}
		if code != "" {
			st, err := s.Hotline.ReportStatusOf(r.Context(), code)
			if err == nil {
				d["Status"] = st.Status
			} else if errs.As(err).Status == http.StatusNotFound {
				d["Unknown"] = true
			} else {
				s.fail(w, r, err)
				return
			}
		}
		s.render(w, r, http.StatusOK, "report_status", "report.status_title", d, nil)
	})
}
